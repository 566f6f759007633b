import { InvalidInput, systemClock } from '../../common';
import { MaintenanceRepository, PURGEABLE_STATUSES, type PurgeCounts } from '../../db';
import { parseLeaseDate } from '../../leases';
import { configOrExit } from '../run';
import { parseOptions, UsageError, withSchema, type ManageCommand } from './command';
import { tableDate } from './table';

/** Leases deleted per transaction: small enough that no lock is held for long. */
const DEFAULT_BATCH_SIZE = 500;

const LABELS: [keyof PurgeCounts, string][] = [
  ['leases', 'leases'],
  ['reservations', 'reservations'],
  ['hostAllocations', 'host allocations'],
  ['instanceAllocations', 'instance allocations'],
  ['floatingIpAllocations', 'floating IP allocations'],
  ['volumeAllocations', 'volume allocations'],
  ['events', 'events'],
  ['notifications', 'sent notifications'],
  ['enforcementCalls', 'on-end calls sent'],
];

/** `YYYY-MM-DD` (midnight UTC), or any date a lease takes: `YYYY-MM-DD HH:MM`, ISO 8601 with an offset. */
function parseBefore(value: string): Date {
  const text = /^\d{4}-\d{2}-\d{2}$/.test(value.trim()) ? `${value.trim()} 00:00` : value;
  try {
    return parseLeaseDate(text, systemClock.now());
  } catch (error) {
    if (error instanceof InvalidInput) {
      throw new UsageError(`--before ${value}: not a date (YYYY-MM-DD, YYYY-MM-DD HH:MM or ISO 8601, UTC unless an offset is given)`);
    }
    throw error;
  }
}

function parseBatchSize(value: string | undefined): number {
  if (value === undefined) return DEFAULT_BATCH_SIZE;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new UsageError(`--batch-size ${value}: expected an integer from 1 to 10000`);
  return n;
}

function add(total: PurgeCounts, batch: PurgeCounts): void {
  for (const [key] of LABELS) total[key] += batch[key];
}

function report(counts: PurgeCounts): string {
  const width = Math.max(...LABELS.map(([, label]) => label.length));
  return LABELS.map(([key, label]) => `  ${label.padEnd(width)}  ${counts[key]}`).join('\n');
}

/**
 * `purge --before DATE [--dry-run] [--batch-size N]`: deletes the leases that ended (TERMINATED) before DATE
 * with every row that belongs to them, a batch of leases per transaction, and says how far it got.
 */
export const purge: ManageCommand = {
  words: ['purge'],
  options: '--before DATE [--dry-run] [--batch-size N]',
  summary: `delete leases that ended (${PURGEABLE_STATUSES.join(', ')}) before DATE with their reservations, allocations, `
    + 'events and sent notifications (what they held stays in the usage ledger, for GET /v1/usage); --dry-run counts them only',
  async run(args, configArgv) {
    const { values, flags } = parseOptions(args, { valued: ['--before', '--batch-size'], flags: ['--dry-run'] });
    const beforeText = values.get('--before');
    if (!beforeText) throw new UsageError('purge needs --before DATE');
    const before = parseBefore(beforeText);
    const batchSize = parseBatchSize(values.get('--batch-size'));
    const dryRun = flags.has('--dry-run');
    const config = configOrExit(configArgv);
    const out = (line: string) => process.stdout.write(`${line}\n`);
    const when = `${tableDate(before)} UTC`;
    await withSchema(config, async (db) => {
      const maintenance = new MaintenanceRepository(db);
      const kept = await maintenance.countKept(before);
      if (dryRun) {
        out(`dry run: would purge leases ended (${PURGEABLE_STATUSES.join(', ')}) before ${when}; nothing deleted`);
        out(report(await maintenance.countPurgeable(before)));
      } else {
        const { leases: planned } = await maintenance.countPurgeable(before);
        const total: PurgeCounts = {
          leases: 0, reservations: 0, hostAllocations: 0, instanceAllocations: 0, floatingIpAllocations: 0,
          volumeAllocations: 0, events: 0, notifications: 0, enforcementCalls: 0,
        };
        // Batches until none is left; a lease that ends meanwhile may add to the plan, so the count is a guide.
        for (;;) {
          const ids = await maintenance.purgeableLeaseIds(before, batchSize);
          if (!ids.length) break;
          const batch = await db.transaction((tx) => maintenance.purgeLeases(tx, ids, before));
          add(total, batch);
          if (planned > batchSize) out(`purged ${total.leases}/${Math.max(planned, total.leases)} leases`);
          if (batch.leases === 0) break;
        }
        out(`purged leases ended (${PURGEABLE_STATUSES.join(', ')}) before ${when}:`);
        out(report(total));
        if (total.leases) out('their usage stays in the usage ledger (GET /v1/usage)');
      }
      if (kept.errorLeases) {
        out(`kept ${kept.errorLeases} lease(s) in ERROR that ended before ${when}: repair them (climate-manage lease repair) `
          + 'or delete them through the API, which releases what they hold in the cloud');
      }
      if (kept.unsentNotifications) {
        out(`kept ${kept.unsentNotifications} notification(s) of these leases not sent yet: the manager still sends them`);
      }
    });
    return 0;
  },
};
