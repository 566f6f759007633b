import type { Logger } from '../../common';
import type { ClimateConfig } from '../../config';
import { ServiceClient } from '../http';
import type { Endpoints, KeystoneSession } from '../keystone';
import { CinderClient, cinderRoot } from './client';

export interface CinderClientDeps {
  /** Climate's Keystone session and endpoints; null without Keystone (then [cinder] endpoint_override is required). */
  keystone: { session: KeystoneSession; endpoints: Endpoints } | null;
  logger: Logger;
  fetch?: typeof fetch;
}

/**
 * The Cinder client of [compute] driver = nova, built as the Nova one is: the service user's token and the
 * catalog's volumev3 endpoint (or `[cinder] endpoint_override`), or without Keystone the override and no
 * token (development against a noauth Cinder, tests against the fake). Timeouts and retries are [nova]'s.
 * @throws Error naming the missing option
 */
export function buildCinderClient(config: ClimateConfig, deps: CinderClientDeps): CinderClient {
  const { keystone, logger } = deps;
  if (!keystone && !config.cinder.endpointOverride) {
    throw new Error('virtual:volume with [compute] driver = nova needs Keystone ([keystone_authtoken] auth_url and the service user) '
      + 'or, for development without Keystone, [cinder] endpoint_override');
  }
  const http = new ServiceClient({
    service: 'cinder',
    baseUrl: async () => cinderRoot(keystone ? await keystone.endpoints.url('volumev3') : config.cinder.endpointOverride),
    token: keystone ? async () => (await keystone.session.serviceToken()).token : async () => null,
    invalidateToken: keystone ? (t: string) => keystone.session.invalidateServiceToken(t) : undefined,
    timeoutMs: config.nova.requestTimeoutMs,
    retries: config.nova.requestRetries,
    retryDelayMs: config.nova.retryDelayMs,
    logger: logger.child('cinder'),
    fetch: deps.fetch,
  });
  return new CinderClient(http);
}
