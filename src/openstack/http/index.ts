/** The HTTP layer every OpenStack service client is built on. */
export { ServiceClient, remoteMessage, type ServiceClientOptions, type CallOptions, type ServiceResponse } from './client';
export { OpenStackHttpError, OpenStackNotFound, OpenStackConflict, OpenStackUnavailable, isStatus, type CallInfo } from './errors';
