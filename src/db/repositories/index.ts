import type { Database } from '../database';
import { EnforcementCallRepository } from './enforcement-calls';
import { EventRepository } from './events';
import { FloatingIpRepository } from './floatingips';
import { FloatingIpAllocationRepository } from './floatingip-allocations';
import { HostAllocationRepository } from './host-allocations';
import { HostCalendarRepository } from './host-calendar';
import { HostRepository } from './hosts';
import { HostTimelineRepository } from './host-timeline';
import { InstanceAllocationRepository } from './instance-allocations';
import { LeaseRepository } from './leases';
import { OutboxRepository } from './outbox';
import { QuotaRepository } from './quotas';
import { ReservationRepository } from './reservations';
import { UsageRepository } from './usage';
import { VolumePoolRepository } from './volume-pools';

/** Every repository over one database. */
export class Repositories {
  readonly leases: LeaseRepository;
  readonly reservations: ReservationRepository;
  readonly events: EventRepository;
  readonly hosts: HostRepository;
  readonly hostAllocations: HostAllocationRepository;
  readonly instanceAllocations: InstanceAllocationRepository;
  readonly floatingIps: FloatingIpRepository;
  readonly floatingIpAllocations: FloatingIpAllocationRepository;
  readonly outbox: OutboxRepository;
  readonly volumePools: VolumePoolRepository;
  /** The usage ledger: what leases held, kept after they are deleted or purged. */
  readonly usage: UsageRepository;
  readonly enforcementCalls: EnforcementCallRepository;
  readonly hostTimeline: HostTimelineRepository;
  /** Per-project limits, and the per-project row lease admissions lock. */
  readonly quotas: QuotaRepository;
  /** The dashboard's host calendar: hosts and their bookings with lease names. */
  readonly hostCalendar: HostCalendarRepository;

  constructor(readonly db: Database) {
    this.leases = new LeaseRepository(db);
    this.reservations = new ReservationRepository(db);
    this.events = new EventRepository(db);
    this.hosts = new HostRepository(db);
    this.hostAllocations = new HostAllocationRepository(db);
    this.instanceAllocations = new InstanceAllocationRepository(db);
    this.floatingIps = new FloatingIpRepository(db);
    this.floatingIpAllocations = new FloatingIpAllocationRepository(db);
    this.outbox = new OutboxRepository(db);
    this.volumePools = new VolumePoolRepository(db);
    this.usage = new UsageRepository(db);
    this.enforcementCalls = new EnforcementCallRepository(db);
    this.hostTimeline = new HostTimelineRepository(db);
    this.quotas = new QuotaRepository(db);
    this.hostCalendar = new HostCalendarRepository(db);
  }
}
