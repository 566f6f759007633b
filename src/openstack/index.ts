/** HTTP clients of the other OpenStack services. */
export * from './keystone';
export * from './http';
export * from './nova';
export * from './placement';
export { buildComputeClients, type ComputeClients, type ComputeClientDeps } from './compute-clients';
export { buildServiceClient, type ServiceClientDeps, type ServiceSpec } from './service-clients';
export * from './cinder';
export * from './neutron';
export * from './heat';
