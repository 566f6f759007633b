/** The database: connection, migrations and repositories. No SQL lives outside this folder. */
export { Database, isUniqueViolation, type Tx, type Dialect, type DatabaseOptions } from './database';
export { DatabaseBusy, DatabaseUnavailable, isDatabaseUnavailable } from './errors';
export { DatabaseOpenError } from './open-errors';
export { migrateUp, currentVersion, pendingMigrations, unappliedMigrations, MIGRATION_NAMES } from './migrate';
export * from './records';
export { LeaseRepository, type LeaseListQuery, type LeaseChanges, type LeaseIdsSql, type LeaseJson } from './repositories/leases';
export { ReservationRepository } from './repositories/reservations';
export { EventRepository } from './repositories/events';
export { HostRepository, type NewHost, type CapabilityValue } from './repositories/hosts';
export { HostAllocationRepository, type HostBooking, type HostCondition, type FreeHostQuery } from './repositories/host-allocations';
export {
  InstanceAllocationRepository, type InstanceAllocationRecord, type FreeSlotsQuery, type HostSlots, type SlotSize,
} from './repositories/instance-allocations';
export { FloatingIpRepository } from './repositories/floatingips';
export { OutboxRepository } from './repositories/outbox';
export { EnforcementCallRepository, type EnforcementCallRecord } from './repositories/enforcement-calls';
export { OpsRepository, type EventBacklog, type EventCompletion, type HostCount, type HostsAllocated, type OutboxBacklog } from './repositories/ops';
export { Repositories } from './repositories';
export { UsageRepository, type UsageSummary } from './repositories/usage';
export {
  QuotaRepository, QUOTA_LIMITS, type QuotaLimitName, type QuotaOverrides, type ProjectQuotaRecord, type HeldSpan, type LeaseWindow,
} from './repositories/quotas';
export { HostTimelineRepository, type TimelineBooking, type TimelineHost } from './repositories/host-timeline';
export { HostCalendarRepository, type CalendarBooking, type CalendarHost } from './repositories/host-calendar';
export {
  VolumePoolRepository, type VolumePoolRecord, type VolumeAllocationRecord, type FreePoolQuery, type PoolFree,
} from './repositories/volume-pools';
export {
  FloatingIpAllocationRepository, type FloatingIpAllocationRecord, type FreeFloatingIp, type FreeFloatingIpQuery,
} from './repositories/floatingip-allocations';
export {
  MaintenanceRepository, PURGEABLE_STATUSES, type EventListing, type EventListQuery, type PurgeCounts, type PurgeKept,
} from './repositories/maintenance';
