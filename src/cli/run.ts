import { createServer, type Server } from 'node:http';
import { loadConfig, redactConfig, type ClimateConfig } from '../config';
import { commandLineOrExit, type CommandSpec } from './args';
import { processLogger } from './logging';
import { startManagerMetrics } from './manager-metrics';
import { buildServices, type Services } from './services';

export type Role = 'all-in-one' | 'api' | 'manager';

/** Each long-running entry point, for its --help. */
export const ROLE_COMMANDS: Record<Role, CommandSpec> = {
  'all-in-one': {
    name: 'climate',
    description: 'Climate all-in-one: the reservation API (Blazar v1) and the manager (lease events, notifications) in one '
      + 'process; migrates the database on start when [database] auto_migrate is on. Stops on SIGTERM/SIGINT.',
  },
  api: {
    name: 'climate-api',
    description: 'Climate API: serves the reservation API (Blazar v1) on [DEFAULT] host and port. Stops on SIGTERM/SIGINT.',
  },
  manager: {
    name: 'climate-manager',
    description: 'Climate manager: runs lease events when they are due and the periodic jobs (notification dispatch, '
      + 'reconciliation, host healing). Stops on SIGTERM/SIGINT.',
  },
};

/** Loads the configuration (`--config-file`/`--config-dir` in argv) or exits with the message that names the bad option. */
export function configOrExit(argv: string[]): ClimateConfig {
  try {
    return loadConfig({ argv, env: process.env });
  } catch (error) {
    process.stderr.write(`climate: configuration error: ${(error as Error).message}\n`);
    process.exit(2);
  }
}

/** Why a server could not listen, in words, for the errors operators meet. */
const LISTEN_PROBLEMS: Record<string, string> = {
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'address not available on this machine',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name could not be resolved',
};

/** `host:port`, with IPv6 addresses in brackets as URLs write them. */
const hostPort = (host: string, port: number) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

/**
 * Starts the HTTP server, or rejects with a message that names the address and port. (Express 5's app.listen hands
 * the listen error to its callback, which then looks like success: issue 12, item 3.)
 */
function listen(services: Services): Promise<Server> {
  const { host, port } = services.config.default;
  return new Promise((resolve, reject) => {
    const server = createServer(services.app());
    server.once('error', (error: NodeJS.ErrnoException) => {
      const problem = (error.code && LISTEN_PROBLEMS[error.code]) ?? error.message;
      reject(new Error(`cannot listen on ${hostPort(host, port)}: ${problem}`, { cause: error }));
    });
    server.listen(port, host, () => resolve(server));
  });
}

/** Closes the server; a close that does not finish (a request stuck on the database) is cut after `ms`. */
function closeServer(server: Server, ms: number): Promise<string | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.closeAllConnections();
      resolve(`HTTP requests still running after ${ms / 1000} s were cut`);
    }, ms);
    timer.unref();
    server.close(() => { clearTimeout(timer); resolve(null); });
  });
}

/**
 * Runs a Climate process until SIGTERM/SIGINT, then stops gracefully (events finish, claims released). Exits 0 when
 * everything stopped cleanly, 1 when something could not be finished (e.g. the database was unreachable): it is
 * logged, one line each.
 */
export async function runProcess(role: Role, argv: string[]): Promise<void> {
  const commandLine = commandLineOrExit(argv, ROLE_COMMANDS[role]);
  const config = configOrExit(commandLine.configArgs);
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
  const stop = async (reason: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${reason}: stopping`);
    const unfinished: string[] = [];
    try {
      const cut = server ? await closeServer(server, 30_000) : null;
      if (cut) unfinished.push(cut);
      const metricsCut = metricsServer ? await closeServer(metricsServer, 5_000) : null;
      if (metricsCut) unfinished.push(metricsCut);
      unfinished.push(...await services.close());
    } catch (error) {
      // services.close() reports rather than throws; this is the last guard against an unhandled rejection.
      unfinished.push(`stop failed: ${(error as Error).message}`);
    }
    for (const what of unfinished) logger.error(`on stop: ${what}`);
    logger.info(unfinished.length ? `stopped; ${unfinished.length} thing(s) left unfinished (see above)` : 'stopped');
    process.exit(unfinished.length ? Math.max(code, 1) : code);
  };
  process.on('SIGTERM', () => void stop('SIGTERM received'));
  process.on('SIGINT', () => void stop('SIGINT received'));
  if (role !== 'manager') {
    try {
      server = await listen(services);
    } catch (error) {
      process.stderr.write(`climate: cannot start: ${(error as Error).message}\n`);
      await stop('cannot serve the API', 1);
      return;
    }
    const address = server.address();
    const where = typeof address === 'object' && address ? hostPort(address.address, address.port) : String(address);
    logger.info(`API listening on http://${where}/v1`);
    if (config.default.metricsEnabled) logger.info('Prometheus metrics served at /metrics without authentication ([DEFAULT] metrics_enabled)');
  }
  if (role === 'manager') {
    try {
      metricsServer = await startManagerMetrics(services);
    } catch (error) {
      process.stderr.write(`climate: cannot start: ${(error as Error).message}
`);
      await stop('cannot serve the manager\'s metrics', 1);
      return;
    }
  }
  if (stopping) return;
  if (role !== 'api') {
    services.runner.start();
    services.dispatchJob.start();
    for (const job of services.managerJobs) job.start();
    logger.info(`manager running as ${services.runner.owner}`);
  }
}
