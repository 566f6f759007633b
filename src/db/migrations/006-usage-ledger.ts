import { DataTypes, QueryInterface } from 'sequelize';
import { addIndexOnce, createTableOnce, dropTableIfPresent, removeIndexIfPresent } from './steps';

/**
 * The usage ledger: what each lease held, and when, kept apart from the allocation tables. Allocations are
 * deleted with their lease (DELETE /v1/leases/{id}) and by `climate-manage purge`, and changed in place when a
 * lease is updated or healed; the ledger is written in the same transaction as each of these changes and only
 * ever cut at the time of the change, so GET /v1/usage can still say what a deleted, shortened or purged
 * lease held. No foreign keys: its rows outlive the leases, reservations and hosts they name.
 *
 * One row per span of holding: `amount` whole hosts (physical:host) or instance slots (virtual:instance and
 * virtual:stack), `kind` saying which, over [start_date, end_date).
 *
 * Also indexes both host allocation tables by end date, covering what capacity over time reads.
 */
const date = () => ({ type: DataTypes.DATE(3), allowNull: false });
const text = (length: number) => ({ type: DataTypes.STRING(length), allowNull: false });

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await createTableOnce(qi, 'usage_ledger', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    lease_id: text(36),
    project_id: text(255),
    reservation_id: text(36),
    resource_type: text(66),
    kind: text(16),
    host_id: { type: DataTypes.INTEGER, allowNull: true },
    amount: { type: DataTypes.INTEGER, allowNull: false },
    start_date: date(),
    end_date: date(),
  });
  // A range of all projects reads from the range's start on; one project's, the same within the project.
  await addIndexOnce(qi, 'usage_ledger', ['end_date', 'start_date'], { name: 'usage_ledger_until' });
  await addIndexOnce(qi, 'usage_ledger', ['project_id', 'end_date', 'start_date'], { name: 'usage_ledger_project' });
  await addIndexOnce(qi, 'usage_ledger', ['lease_id', 'start_date'], { name: 'usage_ledger_lease' });

  // Capacity over time (GET /v1/os-hosts/capacity) reads every allocation overlapping a range, of all hosts: by
  // end date, the read starts at the range however long the allocation history is.
  await addIndexOnce(qi, 'computehost_allocations', ['end_date', 'start_date', 'host_id'], { name: 'allocations_window' });
  await addIndexOnce(qi, 'instance_allocations', ['end_date', 'start_date', 'host_id'], { name: 'instance_allocations_window' });

  // What the leases of an upgraded database hold, as their allocations say (deleted leases left no trace). Once:
  // a ledger with rows was filled by an earlier run of this migration that stopped before recording itself.
  const [[{ n }]] = await qi.sequelize.query('SELECT COUNT(*) AS n FROM usage_ledger') as [[{ n: number | string }], unknown];
  if (Number(n) > 0) return;
  // One statement, so that it is all or nothing.
  const select = (table: string, kind: string, amount: string) =>
    `SELECT a.lease_id, l.project_id, a.reservation_id, r.resource_type, '${kind}', a.host_id, ${amount}, a.start_date, a.end_date
     FROM ${table} a JOIN reservations r ON r.id = a.reservation_id JOIN leases l ON l.id = a.lease_id`;
  await qi.sequelize.query(
    `INSERT INTO usage_ledger (lease_id, project_id, reservation_id, resource_type, kind, host_id, amount, start_date, end_date)
     ${select('computehost_allocations', 'host', '1')} UNION ALL ${select('instance_allocations', 'instance', 'a.slots')}`);
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await removeIndexIfPresent(qi, 'instance_allocations', 'instance_allocations_window');
  await removeIndexIfPresent(qi, 'computehost_allocations', 'allocations_window');
  await dropTableIfPresent(qi, 'usage_ledger');
}
