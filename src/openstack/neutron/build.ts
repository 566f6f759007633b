import type { ClimateConfig } from '../../config';
import { ServiceClient } from '../http';
import type { ComputeClientDeps } from '../compute-clients';
import { NeutronClient } from './client';

/**
 * Builds the Neutron client from [neutron], as the compute clients are built: with Keystone, the service
 * user's token and the catalog's network endpoint (or the override); without Keystone, `[neutron]
 * endpoint_override` and no token (development against a noauth Neutron, tests against the fake). Timeouts
 * and retries are [nova]'s, which govern every call the nova compute driver makes.
 * @throws Error naming the missing option
 */
export function buildNeutronClient(config: ClimateConfig, deps: ComputeClientDeps): NeutronClient {
  const { keystone, logger } = deps;
  if (!keystone && !config.neutron.endpointOverride) {
    throw new Error('virtual:floatingip with [compute] driver = nova needs Keystone ([keystone_authtoken] auth_url and the service '
      + 'user) or, for development without Keystone, [neutron] endpoint_override');
  }
  const http = new ServiceClient({
    service: 'neutron',
    baseUrl: async () => (keystone ? keystone.endpoints.url('network') : config.neutron.endpointOverride),
    token: keystone ? async () => (await keystone.session.serviceToken()).token : async () => null,
    invalidateToken: keystone ? (t: string) => keystone.session.invalidateServiceToken(t) : undefined,
    timeoutMs: config.nova.requestTimeoutMs, retries: config.nova.requestRetries, retryDelayMs: config.nova.retryDelayMs,
    fetch: deps.fetch, logger: logger.child('neutron'),
  });
  return new NeutronClient(http);
}
