import { NotFound, silentLogger, systemClock } from '../../common';
import { Repositories } from '../../db';
import { LeaseRepair } from '../../leases';
import { Notifier } from '../../notifications';
import { noHostActions } from '../../plugins/physical-host';
import { noInstanceActions } from '../../plugins/virtual-instance';
import { configOrExit } from '../run';
import { buildPlugins } from '../services';
import { CommandError, parseOptions, UsageError, withSchema, type ManageCommand } from './command';
import { tableDate } from './table';

/**
 * `lease repair LEASE_ID`: recovers a lease in ERROR as a PUT on it does (see LeaseRepair), and says what it
 * did. A lease in any other status is refused, with exit code 1 and nothing changed.
 */
export const leaseRepair: ManageCommand = {
  words: ['lease', 'repair'],
  options: 'LEASE_ID',
  summary: 'put a lease in ERROR back to ACTIVE/PENDING and its failed events back to UNDONE, so the manager runs them again',
  async run(args, configArgv) {
    const { positionals } = parseOptions(args, { positionals: 1 });
    const leaseId = positionals[0];
    if (!leaseId) throw new UsageError('lease repair needs the id of a lease in ERROR');
    const config = configOrExit(configArgv);
    const outcome = await withSchema(config, async (db) => {
      const repos = new Repositories(db);
      // Plugins render the reservations in the lease.update notification; no cloud action is taken here.
      const plugins = buildPlugins(config, repos, noHostActions, noInstanceActions);
      const clock = systemClock;
      // What was done is this command's report (stdout), not a log line.
      const repair = new LeaseRepair({ db, repos, plugins, notifier: new Notifier(repos.outbox, clock), clock, logger: silentLogger });
      return repair.repair(leaseId).catch((error: unknown) => {
        if (error instanceof NotFound) throw new CommandError(`no lease with id ${leaseId}`);
        throw error;
      });
    });
    const lines = [
      `lease ${outcome.leaseId} (${outcome.leaseName}) repaired: ERROR -> ${outcome.status}`,
      `  cleared reason: ${outcome.previousReason ?? '(none)'}`,
    ];
    if (outcome.retried.length) {
      lines.push(`  events put back to UNDONE (the manager runs them again at its next poll):`);
      for (const e of outcome.retried) {
        lines.push(`    ${e.id} ${e.eventType} due ${tableDate(e.time)}; had failed with: ${e.lastError ?? '(no error recorded)'}`);
      }
    } else {
      lines.push('  no event had failed: nothing to run again');
    }
    lines.push('  a lease.update notification was queued');
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  },
};
