/** The lease domain: rules, events, the lease service and the lifecycle the manager drives. */
export { LeaseService, type LeaseServiceOptions, type LeaseServiceDeps, type LeaseListOptions } from './service';
export { LeaseLifecycle, type LifecycleDeps, type EventOutcome, type LoadedLease } from './lifecycle';
export { renderLease, renderEvent, renderReservation, type LeaseView } from './view';
export { parseLeaseDate, parseQueryDate, renderLeaseDate, renderTimestamp } from './dates';
export * from './event-plan';
export { scheduleLeaseUpdate } from './update-event';
export { MESSAGES } from './lease-rules';
export { LeaseRepair, type LeaseRepairOutcome } from './repair';
export { UsageReport, type UsageQuery, type UsageView, type UsageReportDeps } from './usage';
export {
  AvailabilityService, findSlots, parseDuration, parseSearchRange, type AvailabilityOptions, type AvailabilityServiceDeps, type FoundSlot,
} from './availability';
