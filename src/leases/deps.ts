import type { Clock, Logger } from '../common';
import type { Database, Repositories } from '../db';
import type { Notifier } from '../notifications';
import type { PluginRegistry } from '../plugins';

/** What every part of the lease domain works with. */
export interface LeaseDomainDeps {
  db: Database;
  repos: Repositories;
  plugins: PluginRegistry;
  notifier: Notifier;
  clock: Clock;
  logger: Logger;
}
