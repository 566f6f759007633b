/** virtual:floatingip: the registered floating IPs (reservations come with the Neutron work). */
export { FloatingIpInventory } from './inventory';
