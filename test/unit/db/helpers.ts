/** A migrated test database with repositories, and builders for the rows the repository tests need. */
import { randomUUID } from 'node:crypto';
import { Database, migrateUp, Repositories, type EventRecord, type LeaseRecord, type ReservationRecord } from '../../../src/db';
import { createTestDatabase, type TestDialect } from '../../support/database';
import { createMigratedTestDatabase } from '../../support/migrated-database';

export interface Db {
  db: Database;
  repos: Repositories;
  /** The connection URL, to open a second handle (another process) on the same database. */
  url: string;
  close(): Promise<void>;
}

/**
 * A fresh database with the whole schema: by default a copy of the migrated template (test/support/migrated-database.ts);
 * `migrate: true` runs the migrations on an empty database instead (the migration tests), `migrate: false` leaves it empty.
 */
export async function openDb(dialect: TestDialect, options: { migrate?: boolean } = {}): Promise<Db> {
  const target = options.migrate === undefined ? await createMigratedTestDatabase(dialect) : await createTestDatabase(dialect);
  const db = new Database({ connection: target.url });
  try {
    await db.open();
    if (options.migrate) await migrateUp(db);
  } catch (error) {
    await db.close();
    await target.drop();
    throw error;
  }
  return {
    db, repos: new Repositories(db), url: target.url,
    close: async () => { await db.close(); await target.drop(); },
  };
}

/** A UTC instant from an ISO text, e.g. at('2030-01-01T10:00:00.000Z'). */
export const at = (iso: string) => new Date(iso);

export function leaseRecord(overrides: Partial<LeaseRecord> = {}): LeaseRecord {
  return {
    id: randomUUID(), name: `lease-${randomUUID().slice(0, 8)}`, userId: 'u1', projectId: 'p1', trustId: null,
    startDate: at('2030-01-01T10:00:00.000Z'), endDate: at('2030-01-01T12:00:00.000Z'), beforeEndDate: null,
    beforeStartDate: null, status: 'PENDING', statusReason: null, degraded: false,
    createdAt: at('2029-12-31T00:00:00.000Z'), updatedAt: null, ...overrides,
  };
}

export function reservationRecord(leaseId: string, overrides: Partial<ReservationRecord> = {}): ReservationRecord {
  return {
    id: randomUUID(), leaseId, resourceType: 'physical:host', resourceId: randomUUID(), status: 'pending',
    missingResources: false, resourcesChanged: false, params: { min: 1, max: 1, hypervisor_properties: '', resource_properties: '' },
    createdAt: at('2029-12-31T00:00:00.000Z'), updatedAt: null, ...overrides,
  };
}

export function eventRecord(leaseId: string, eventType: string, sequence: number, time: Date, overrides: Partial<EventRecord> = {}): EventRecord {
  return {
    id: randomUUID(), leaseId, eventType, sequence, time, status: 'UNDONE', claimedBy: null, claimExpiresAt: null,
    attempts: 0, lastError: null, createdAt: at('2029-12-31T00:00:00.000Z'), updatedAt: null, ...overrides,
  };
}

/** Inserts a lease with one reservation; returns both. */
export async function addLease(t: Db, overrides: Partial<LeaseRecord> = {}): Promise<{ lease: LeaseRecord; reservation: ReservationRecord }> {
  const lease = leaseRecord(overrides);
  const reservation = reservationRecord(lease.id);
  await t.db.transaction(async (tx) => {
    await t.repos.leases.insert(tx, lease);
    await t.repos.reservations.insert(tx, reservation);
  });
  return { lease, reservation };
}

/** Registers a host; returns its id. */
export async function addHost(t: Db, name: string, overrides: { reservable?: boolean; vcpus?: number } = {}): Promise<number> {
  return t.db.transaction((tx) => t.repos.hosts.insert(tx, {
    hypervisorHostname: name, hypervisorType: 'QEMU', hypervisorVersion: 2012000, vcpus: overrides.vcpus ?? 8, cpuInfo: null,
    memoryMb: 16384, localGb: 100, serviceName: name, availabilityZone: 'nova', status: null,
    reservable: overrides.reservable ?? true, trustId: null, createdAt: at('2029-12-31T00:00:00.000Z'),
  }));
}
