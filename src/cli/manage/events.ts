import { MaintenanceRepository, type EventStatus } from '../../db';
import { configOrExit } from '../run';
import { parseOptions, UsageError, withSchema, type ManageCommand } from './command';
import { renderTable, tableDate } from './table';

const STATUSES: readonly EventStatus[] = ['UNDONE', 'IN_PROGRESS', 'DONE', 'ERROR'];

/**
 * `event list [--status STATUS] [--lease LEASE_ID]`: lease events across leases, in the order they run, with
 * what went wrong: failed attempts, the next try (an UNDONE event waiting after a failure), the last error.
 */
export const eventList: ManageCommand = {
  words: ['event', 'list'],
  options: `[--status ${STATUSES.join('|')}] [--lease LEASE_ID]`,
  summary: 'list lease events with their status, failed attempts and last error',
  async run(args, configArgv) {
    const { values } = parseOptions(args, { valued: ['--status', '--lease'] });
    const status = values.get('--status')?.toUpperCase();
    if (status !== undefined && !STATUSES.includes(status as EventStatus)) {
      throw new UsageError(`--status ${values.get('--status')}: expected one of ${STATUSES.join(', ')}`);
    }
    const config = configOrExit(configArgv);
    const events = await withSchema(config, (db) =>
      new MaintenanceRepository(db).listEvents({ status: status as EventStatus | undefined, leaseId: values.get('--lease') }));
    if (!events.length) {
      process.stdout.write('no events\n');
      return 0;
    }
    process.stdout.write(renderTable(
      ['id', 'lease_id', 'lease_name', 'event_type', 'time', 'status', 'attempts', 'next_try', 'last_error'],
      events.map((e) => [e.id, e.leaseId, e.leaseName, e.eventType, tableDate(e.time), e.status, String(e.attempts),
        e.status === 'UNDONE' ? tableDate(e.retryAt) : '', e.lastError ?? '']),
    ));
    return 0;
  },
};
