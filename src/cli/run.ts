import type { Server } from 'node:http';
import { loadConfig, redactConfig, type ClimateConfig } from '../config';
import { processLogger } from './logging';
import { startManagerMetrics } from './manager-metrics';
import { buildServices, type Services } from './services';

export type Role = 'all-in-one' | 'api' | 'manager';

/** Loads the configuration or exits with the message that names the bad option. */
export function configOrExit(argv: string[]): ClimateConfig {
  try {
    return loadConfig({ argv, env: process.env });
  } catch (error) {
    process.stderr.write(`climate: configuration error: ${(error as Error).message}\n`);
    process.exit(2);
  }
}

function listen(services: Services): Promise<Server> {
  const { host, port } = services.config.default;
  return new Promise((resolve, reject) => {
    const server = services.app().listen(port, host, () => resolve(server));
    server.once('error', reject);
  });
}

/** Runs a Climate process until SIGTERM/SIGINT, then stops gracefully (events finish, claims released). */
export async function runProcess(role: Role, argv: string[]): Promise<void> {
  const config = configOrExit(argv);
  let services: Services;
  try {
    services = await buildServices(config, { migrate: role === 'all-in-one' && config.database.autoMigrate, logger: processLogger(config) });
  } catch (error) {
    process.stderr.write(`climate: cannot start: ${(error as Error).message}\n`);
    process.exit(1);
  }
  const { logger } = services;
  logger.info(`climate ${role} starting`, { config: redactConfig(config) as unknown as Record<string, unknown> });
  if (config.default.authStrategy === 'noauth' && role !== 'manager') {
    logger.warning('auth_strategy = noauth: requests are NOT authenticated (identity from X-User-Id/X-Project-Id/X-Roles)');
  }
  let server: Server | null = null;
  let metricsServer: Server | null = null;
  // Signals are handled before the process says it is ready: a SIGTERM right after start-up still stops cleanly.
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal} received: stopping`);
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => (metricsServer ? metricsServer.close(() => resolve()) : resolve()));
    await services.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  if (role !== 'manager') {
    server = await listen(services);
    const address = server.address();
    const where = typeof address === 'object' && address ? `${address.address}:${address.port}` : String(address);
    logger.info(`API listening on http://${where}/v1`);
    if (config.default.metricsEnabled) logger.info('Prometheus metrics served at /metrics without authentication ([DEFAULT] metrics_enabled)');
  }
  if (role === 'manager') {
    try {
      metricsServer = await startManagerMetrics(services);
    } catch (error) {
      process.stderr.write(`climate: cannot start: ${(error as Error).message}\n`);
      await services.close();
      process.exit(1);
    }
  }
  if (role !== 'api') {
    services.runner.start();
    services.dispatchJob.start();
    for (const job of services.managerJobs) job.start();
    logger.info(`manager running as ${services.runner.owner}`);
  }
}
