/** HTTP clients of the other OpenStack services. */
export * from './keystone';
export * from './http';
export * from './nova';
export * from './placement';
export { buildComputeClients, type ComputeClients, type ComputeClientDeps } from './compute-clients';
export * from './cinder';
export * from './neutron';
