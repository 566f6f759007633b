import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { buildServices, type Services } from '../../src/cli/services';
import { silentLogger, type Clock, type Logger } from '../../src/common';
import { configWith, type ClimateConfig, type DeepPartial } from '../../src/config';
import type { TestDialect } from './database';
import { createMigratedTestDatabase } from './migrated-database';

export interface TestService {
  services: Services;
  app: Express;
  /** Base URL of the listening server (only when started with `listen: true`). */
  url: string;
  close(): Promise<void>;
}

export interface TestServiceOptions {
  dialect?: TestDialect;
  config?: DeepPartial<ClimateConfig>;
  clock?: Clock;
  logger?: Logger;
  /** Listen on 127.0.0.1 on a free port (for real clients). */
  listen?: boolean;
  /** Run the manager's event loop and notification dispatch. */
  manager?: boolean;
  /** Receives every SQL statement the service runs. */
  logSql?: (sql: string) => void;
}

/**
 * Climate on a fresh database, migrated, as the all-in-one builds it (a copy of a migrated template where the engine
 * can copy one: see migrated-database.ts; the start-up's migration check then finds nothing to do).
 */
export async function startTestService(options: TestServiceOptions = {}): Promise<TestService> {
  const database = await createMigratedTestDatabase(options.dialect ?? 'sqlite');
  const config = configWith({
    ...options.config,
    database: { connection: database.url, ...options.config?.database },
    notifications: { driver: 'noop', ...options.config?.notifications },
  });
  const services = await buildServices(config, {
    migrate: true, clock: options.clock, logger: options.logger ?? silentLogger, logSql: options.logSql,
  });
  const app = services.app();
  let server: Server | null = null;
  let url = '';
  if (options.listen) {
    server = await new Promise<Server>((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
  if (options.manager) {
    services.runner.start();
    services.dispatchJob.start();
  }
  return {
    services, app, url,
    close: async () => {
      if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
      await services.close();
      await database.drop();
    },
  };
}
