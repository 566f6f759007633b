/** virtual:floatingip: the registered floating IPs and reservations of them. */
export { FloatingIpInventory } from './inventory';
export { FloatingIpPlugin, VIRTUAL_FLOATINGIP } from './plugin';
export { noFloatingIpActions, type FloatingIpActions, type HeldFloatingIp } from './actions';
export { parseFloatingIpParams, updateFloatingIpParams, type FloatingIpReservationParams } from './params';
export { NeutronFloatingIpActions, reservationTag } from './neutron';
