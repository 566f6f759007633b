/**
 * A big calendar for the render-speed test: `hosts` hosts and `leases` one-host leases spread over the week after
 * `origin`, written straight into the tables in a few multi-row INSERTs (through the API it would take minutes, and
 * only reading them is measured).
 */
import { randomUUID } from 'node:crypto';
import type { Database } from '../../src/db';
import { sqlBool, sqlDate } from '../../src/db/sql-values';

const HOUR = 3_600_000;
const CHUNK = 80;

async function insertRows(db: Database, table: string, columns: string[], rows: unknown[][]): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK);
    const values = chunk.map(() => `(${columns.map(() => '?').join(', ')})`).join(', ');
    await db.execute(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${values}`, chunk.flat());
  }
}

export async function seedCalendar(db: Database, hosts: number, leases: number, origin: number): Promise<void> {
  const now = sqlDate(new Date());
  await insertRows(db, 'hosts', ['hypervisor_hostname', 'vcpus', 'memory_mb', 'local_gb', 'reservable', 'created_at'],
    Array.from({ length: hosts }, (_, i) => [`node-${String(i).padStart(4, '0')}`, 32, 131072, 500, sqlBool(i % 50 !== 7), now]));
  const hostIds = (await db.select<{ id: number }>('SELECT id FROM hosts ORDER BY id')).map((r) => Number(r.id));
  const perHost = Math.ceil(leases / hosts);
  // Each host's leases follow each other through the week with a gap between them: free windows to see.
  const slot = (7 * 24 * HOUR) / perHost;
  const leaseRows: unknown[][] = [];
  const reservationRows: unknown[][] = [];
  const allocationRows: unknown[][] = [];
  for (let i = 0; i < leases; i += 1) {
    const host = hostIds[i % hostIds.length];
    const k = Math.floor(i / hostIds.length);
    const start = origin + k * slot + ((i * 7) % 5) * HOUR;
    const end = start + slot * 0.6;
    const [leaseId, reservationId] = [randomUUID(), randomUUID()];
    leaseRows.push([leaseId, `lease-${i}`, `project-${i % 20}`, 'user', sqlDate(new Date(start)), sqlDate(new Date(end)), 'PENDING', sqlBool(false), now]);
    reservationRows.push([reservationId, leaseId, 'physical:host', 'pending', sqlBool(false), sqlBool(false), '{"min":1,"max":1}', now]);
    allocationRows.push([reservationId, leaseId, host, sqlDate(new Date(start)), sqlDate(new Date(end))]);
  }
  await insertRows(db, 'leases', ['id', 'name', 'project_id', 'user_id', 'start_date', 'end_date', 'status', 'degraded', 'created_at'], leaseRows);
  await insertRows(db, 'reservations', ['id', 'lease_id', 'resource_type', 'status', 'missing_resources', 'resources_changed', 'params', 'created_at'], reservationRows);
  await insertRows(db, 'computehost_allocations', ['reservation_id', 'lease_id', 'host_id', 'start_date', 'end_date'], allocationRows);
}
