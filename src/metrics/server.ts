import * as http from 'node:http';
import { EXPOSITION_CONTENT_TYPE } from './exposition';
import type { MetricsRegistry } from './registry';

/**
 * A bare HTTP server for processes without an API port (climate-manager): `GET /metrics` (or HEAD) answers the
 * registry's exposition; anything else is a 404. No authentication, like the API's /metrics.
 * Resolves once listening; rejects when the address cannot be bound (the port is taken).
 */
export function serveMetrics(registry: MetricsRegistry, host: string, port: number): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(path === '/metrics' ? 405 : 404, { 'Content-Type': 'text/plain; charset=utf-8', ...(path === '/metrics' ? { Allow: 'GET, HEAD' } : {}) });
      res.end(path === '/metrics' ? 'Method not allowed\n' : 'Not found: this port serves /metrics only\n');
      return;
    }
    registry.expose().then((body) => {
      res.writeHead(200, { 'Content-Type': EXPOSITION_CONTENT_TYPE, 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    }, (error: unknown) => {
      res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(`metrics could not be collected: ${String(error)}\n`);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
