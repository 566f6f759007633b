import type { Database } from '../database';
import { EventRepository } from './events';
import { FloatingIpRepository } from './floatingips';
import { HostAllocationRepository } from './host-allocations';
import { HostRepository } from './hosts';
import { LeaseRepository } from './leases';
import { OutboxRepository } from './outbox';
import { ReservationRepository } from './reservations';

/** Every repository over one database. */
export class Repositories {
  readonly leases: LeaseRepository;
  readonly reservations: ReservationRepository;
  readonly events: EventRepository;
  readonly hosts: HostRepository;
  readonly hostAllocations: HostAllocationRepository;
  readonly floatingIps: FloatingIpRepository;
  readonly outbox: OutboxRepository;

  constructor(readonly db: Database) {
    this.leases = new LeaseRepository(db);
    this.reservations = new ReservationRepository(db);
    this.events = new EventRepository(db);
    this.hosts = new HostRepository(db);
    this.hostAllocations = new HostAllocationRepository(db);
    this.floatingIps = new FloatingIpRepository(db);
    this.outbox = new OutboxRepository(db);
  }
}
