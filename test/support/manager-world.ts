import type { Clock } from '../../src/common';
import { silentLogger } from '../../src/common';
import { Database, Repositories, type DatabaseOptions } from '../../src/db';
import { LeaseLifecycle, LeaseService } from '../../src/leases';
import { EventRunner, type EventRunnerOptions } from '../../src/manager';
import { Notifier } from '../../src/notifications';
import { PluginRegistry, type ResourcePlugin } from '../../src/plugins';

export interface ManagerWorld {
  db: Database;
  repos: Repositories;
  leases: LeaseService;
  runner: EventRunner;
  close(): Promise<void>;
}

/**
 * A lease service and an event runner over their own connection pool to `connection`, with the given plugin:
 * several of these on one database behave as several Climate processes.
 */
export async function managerWorld(connection: string, plugin: ResourcePlugin, clock: Clock,
  runnerOptions: Partial<EventRunnerOptions> = {}, dbOptions: Partial<DatabaseOptions> = {}): Promise<ManagerWorld> {
  const db = new Database({ ...dbOptions, connection });
  await db.open();
  const repos = new Repositories(db);
  const plugins = new PluginRegistry().register(plugin).freeze();
  const notifier = new Notifier(repos.outbox, clock);
  const lifecycle = new LeaseLifecycle({ db, repos, plugins, notifier, clock, logger: silentLogger });
  const leases = new LeaseService({ db, repos, plugins, notifier, clock, logger: silentLogger },
    { minutesBeforeEndLease: 0, minutesBeforeStartLease: 0 });
  const runner = new EventRunner(repos, lifecycle, clock, silentLogger, {
    pollIntervalMs: 100, claimMs: 60_000, maxRetries: 2, retryDelayMs: 1000, ...runnerOptions,
  });
  return { db, repos, leases, runner, close: async () => { await runner.stop(1000); await db.close(); } };
}
