import { QueryInterface } from 'sequelize';
import { addIndexOnce, removeIndexIfPresent } from './steps';

/**
 * Every manager keeps a timer set to the next moment an event may run, and looks it up again after each event and
 * at each poll (issue 18): the earliest due time reads the first entry of `events_due` (status, time), and the
 * earliest retry of a failed event reads this index's first entry instead of every waiting event's row.
 */
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await addIndexOnce(qi, 'events', ['status', 'retry_at'], { name: 'events_retry' });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await removeIndexIfPresent(qi, 'events', 'events_retry');
}
