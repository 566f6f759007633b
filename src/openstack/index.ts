/** HTTP clients of the other OpenStack services. */
export * from './keystone';
