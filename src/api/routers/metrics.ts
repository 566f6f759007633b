import { Router } from 'express';
import { EXPOSITION_CONTENT_TYPE, type MetricsRegistry } from '../../metrics';

/**
 * `GET /metrics`: the registry in Prometheus' text format, without authentication (scrapers rarely carry
 * tokens). It tells counts and latencies, never lease contents; keep it to the internal network or turn it off
 * with `[DEFAULT] metrics_enabled = false`.
 */
export function metricsRouter(registry: MetricsRegistry): Router {
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    const body = await registry.expose();
    res.set('Cache-Control', 'no-store').type(EXPOSITION_CONTENT_TYPE).send(body);
  });
  return router;
}
