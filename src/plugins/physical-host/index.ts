/** physical:host: whole compute hosts, and the host inventory they come from. */
export { PhysicalHostPlugin, PHYSICAL_HOST, type PhysicalHostOptions } from './plugin';
export { HostInventory, parseHostId, type AllocationFilter } from './inventory';
export { noHostActions, type HostActions } from './actions';
export type { HostReservationParams } from './params';
export {
  NovaHostActions, NovaHostRegistrar, freepoolOf, reservationAggregateName, serviceHostOf, deleteServersAndWait,
  RESERVATION_ID_KEY, OWNER_PROJECT_KEY, RESERVATION_TYPE_KEY, type HostRegistrar, type NovaHostOptions,
} from './nova';
export {
  HostReplacer, ReservationAggregateSync, FAILED_HOST_STATUSES, isFailedStatus, type HostFailure, type Replacement,
  type AggregateSync, type AggregateSyncOptions,
} from './healing';
export { HostCapacity, type CapacityQuery, type CapacityStep } from './capacity';
export { HostCalendar, type CalendarQuery } from './calendar';
