/** physical:host: whole compute hosts, and the host inventory they come from. */
export { PhysicalHostPlugin, PHYSICAL_HOST, type PhysicalHostOptions } from './plugin';
export { HostInventory, parseHostId } from './inventory';
export { noHostActions, type HostActions } from './actions';
export type { HostReservationParams } from './params';
