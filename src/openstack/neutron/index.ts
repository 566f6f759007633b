/** Neutron's networking API (floating IPs). */
export { NeutronClient, type NeutronFloatingIp, type NewFloatingIp } from './client';
export { buildNeutronClient } from './build';
