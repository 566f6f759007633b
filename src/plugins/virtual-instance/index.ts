/** virtual:instance: instances of a reserved flavor, counted in slots per host. */
export { VirtualInstancePlugin, VIRTUAL_INSTANCE } from './plugin';
export { noInstanceActions, type InstanceActions } from './actions';
export { parseInstanceParams, updateInstanceParams, parseAffinity, type InstanceReservationParams, type Affinity } from './params';
export { planSlots, planExtraSlots, slotsByHost, slotsFor, describeFree } from './slots';
export { InstanceSlotReplacer, planMoves } from './healing';
export type { HostScope, InstanceHostScope } from './capacity';
export {
  NovaInstanceActions, reservationResourceClass, slotsProviderName, instanceFlavorId, instanceGroupName, instanceAggregateName,
  FLAVOR_RESERVATION_KEY, FLAVOR_AGGREGATE_KEY, type NovaInstanceOptions,
} from './nova';
