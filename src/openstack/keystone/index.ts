/** Keystone: Climate's service-user session, token validation calls, the service catalog and trusts. */
export { KeystoneHttp, keystoneV3Url, keystoneMessage, type KeystoneResponse, type KeystoneHttpOptions } from './http';
export { KeystoneUnavailable, KeystoneRequestError } from './errors';
export {
  KeystoneSession, toScopedToken, type TokenBody, type ScopedToken, type ServiceUser, type KeystoneSessionOptions,
} from './session';
export {
  Endpoints, EndpointNotFound, findEndpoint, normalizeInterface, SERVICE_SECTIONS,
  type CatalogEntry, type CatalogEndpoint, type EndpointInterface, type EndpointQuery, type EndpointSettings, type ServiceType,
} from './catalog';
export { TrustsClient, type TrustRequest } from './trusts';
