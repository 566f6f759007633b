import type { RequestHandler } from 'express';
import type { MetricsRegistry } from '../../metrics';
import { findRoute, UNMATCHED_ROUTE, type RouteSpec } from '../routes';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * Counts and times every request by method, route template and status. The route is the template
 * (`/v1/leases/{lease_id}`), never the raw path, so ids and scanners' paths do not each make a new series; any
 * other method counts as OTHER for the same reason.
 */
export function httpMetricsMiddleware(registry: MetricsRegistry, routes: readonly RouteSpec[]): RequestHandler {
  const labelNames = ['method', 'route', 'status'];
  const requests = registry.counter({ name: 'climate_http_requests_total', help: 'HTTP requests answered.', labelNames });
  const duration = registry.histogram({
    name: 'climate_http_request_duration_seconds',
    help: 'Time from receiving an HTTP request to sending the last byte of its response, in seconds.',
    labelNames,
  });
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    // The path as received: routers rewrite req.url and req.path while they handle the request.
    const path = req.path;
    res.once('finish', () => {
      const labels = {
        method: METHODS.has(req.method) ? req.method : 'OTHER',
        route: findRoute(routes, path)?.template ?? UNMATCHED_ROUTE,
        status: String(res.statusCode),
      };
      requests.inc(labels);
      duration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };
}
