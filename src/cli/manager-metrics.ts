import type { Server } from 'node:http';
import { serveMetrics } from '../metrics';
import type { Services } from './services';

/**
 * climate-manager's metrics port (`[manager] metrics_port`; 0: none, the default): the process, the database gauges
 * and this manager's event runs, at /metrics. A port that cannot be bound stops start-up with a message naming it.
 */
export async function startManagerMetrics(services: Services): Promise<Server | null> {
  const { metricsPort: port, metricsHost: host } = services.config.manager;
  if (!port) return null;
  let server: Server;
  try {
    server = await serveMetrics(services.metrics, host, port);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? 'the port is in use' : code === 'EADDRNOTAVAIL' ? 'no such address on this machine'
      : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new Error(`[manager] metrics_port: cannot listen on ${host}:${port}: ${why}`, { cause: error });
  }
  const address = server.address();
  const where = typeof address === 'object' && address ? `${address.address}:${address.port}` : `${host}:${port}`;
  services.logger.info(`manager metrics served at http://${where}/metrics without authentication ([manager] metrics_port)`);
  return server;
}
