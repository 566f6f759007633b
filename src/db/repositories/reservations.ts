import type { Database, Tx } from '../database';
import type { ReservationRecord, ReservationStatus } from '../records';
import type { LeaseIdsSql } from './leases';
import { fromSqlBool, fromSqlDate, placeholders, sqlBool, sqlDate } from '../sql-values';

const COLUMNS = 'id, lease_id, resource_type, resource_id, status, missing_resources, resources_changed, params, '
  + 'created_at, updated_at';

function toReservation(row: Record<string, unknown>): ReservationRecord {
  return {
    id: String(row.id),
    leaseId: String(row.lease_id),
    resourceType: String(row.resource_type),
    resourceId: row.resource_id == null ? null : String(row.resource_id),
    status: row.status as ReservationStatus,
    missingResources: fromSqlBool(row.missing_resources),
    resourcesChanged: fromSqlBool(row.resources_changed),
    params: JSON.parse(String(row.params)) as Record<string, unknown>,
    createdAt: fromSqlDate(row.created_at),
    updatedAt: row.updated_at == null ? null : fromSqlDate(row.updated_at),
  };
}

export class ReservationRepository {
  constructor(private readonly db: Database) {}

  async insert(tx: Tx, r: ReservationRecord): Promise<void> {
    await this.db.insert(
      `INSERT INTO reservations (${COLUMNS}) VALUES (${placeholders(10)})`,
      [r.id, r.leaseId, r.resourceType, r.resourceId, r.status, sqlBool(r.missingResources),
        sqlBool(r.resourcesChanged), JSON.stringify(r.params), sqlDate(r.createdAt), sqlDate(r.updatedAt)],
      tx,
    );
  }

  /** Reservations of the given leases, in creation order. One query for any number of leases. */
  async listByLeases(leaseIds: readonly string[], tx?: Tx): Promise<ReservationRecord[]> {
    if (!leaseIds.length) return [];
    const rows = await this.db.selectMany(
      `SELECT ${COLUMNS} FROM reservations WHERE lease_id IN (${placeholders(leaseIds.length)}) ORDER BY created_at, id`,
      leaseIds, tx);
    return rows.map(toReservation);
  }

  /** Reservations of the leases `leases` selects (LeaseRepository.pageIds), in creation order. */
  async listByLeaseIds(leases: LeaseIdsSql, tx?: Tx): Promise<ReservationRecord[]> {
    const rows = await this.db.selectMany(
      `SELECT ${COLUMNS} FROM reservations WHERE lease_id IN (${leases.sql}) ORDER BY created_at, id`, leases.params, tx);
    return rows.map(toReservation);
  }

  async get(id: string, tx?: Tx): Promise<ReservationRecord | null> {
    const rows = await this.db.select(`SELECT ${COLUMNS} FROM reservations WHERE id = ?`, [id], tx);
    return rows.length ? toReservation(rows[0]) : null;
  }

  async updateParams(tx: Tx, id: string, params: Record<string, unknown>, updatedAt: Date): Promise<void> {
    await this.db.execute('UPDATE reservations SET params = ?, updated_at = ? WHERE id = ?',
      [JSON.stringify(params), sqlDate(updatedAt), id], tx);
  }

  /** Sets the status of every reservation of a lease (except those already `deleted`). */
  async setStatusForLease(tx: Tx, leaseId: string, status: ReservationStatus, updatedAt: Date): Promise<void> {
    await this.db.execute("UPDATE reservations SET status = ?, updated_at = ? WHERE lease_id = ? AND status <> 'deleted'",
      [status, sqlDate(updatedAt), leaseId], tx);
  }

  async setFlags(tx: Tx, id: string, flags: { missingResources?: boolean; resourcesChanged?: boolean }, updatedAt: Date): Promise<void> {
    const sets: string[] = ['updated_at = ?'];
    const params: unknown[] = [sqlDate(updatedAt)];
    if (flags.missingResources !== undefined) { sets.push('missing_resources = ?'); params.push(sqlBool(flags.missingResources)); }
    if (flags.resourcesChanged !== undefined) { sets.push('resources_changed = ?'); params.push(sqlBool(flags.resourcesChanged)); }
    await this.db.execute(`UPDATE reservations SET ${sets.join(', ')} WHERE id = ?`, [...params, id], tx);
  }

  /**
   * Reservations of a resource type with their lease's status, for periodic jobs that compare the cloud with
   * the database: those whose id is in `ids`, plus those whose lease is in one of `leaseStatuses`. One query.
   */
  async listWithLeaseStatus(resourceType: string, q: { ids?: readonly string[]; leaseStatuses?: readonly string[] }, tx?: Tx):
  Promise<(ReservationRecord & { leaseStatus: string; projectId: string })[]> {
    const ids = q.ids ?? [];
    const statuses = q.leaseStatuses ?? [];
    const or: string[] = [];
    if (ids.length) or.push(`r.id IN (${placeholders(ids.length)})`);
    if (statuses.length) or.push(`l.status IN (${placeholders(statuses.length)})`);
    if (!or.length) return [];
    const cols = COLUMNS.split(', ').map((c) => `r.${c}`).join(', ');
    const rows = await this.db.select(
      `SELECT ${cols}, l.status AS lease_status, l.project_id AS lease_project_id FROM reservations r JOIN leases l ON l.id = r.lease_id `
      + `WHERE r.resource_type = ? AND (${or.join(' OR ')}) ORDER BY r.created_at, r.id`,
      [resourceType, ...ids, ...statuses], tx);
    return rows.map((row) => ({ ...toReservation(row), leaseStatus: String(row.lease_status), projectId: String(row.lease_project_id) }));
  }
}
