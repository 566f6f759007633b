import type { Logger } from '../common';
import type { ClimateConfig } from '../config';
import { ServiceClient } from './http';
import type { Endpoints, KeystoneSession } from './keystone';
import { NovaClient, NOVA_MICROVERSION } from './nova';
import { PlacementClient, PLACEMENT_MICROVERSION } from './placement';

/** Nova and Placement, as the nova compute driver uses them. */
export interface ComputeClients {
  nova: NovaClient;
  placement: PlacementClient;
}

export interface ComputeClientDeps {
  /** Climate's Keystone session and endpoints; null without Keystone (then both endpoint_override are required). */
  keystone: { session: KeystoneSession; endpoints: Endpoints } | null;
  logger: Logger;
  /** The HTTP dispatcher; global fetch by default. */
  fetch?: typeof fetch;
}

/**
 * Builds the compute clients from [nova] and [placement]. With Keystone, calls carry the service user's token
 * and endpoints come from its catalog (or the overrides). Without Keystone (auth_strategy = noauth and no
 * [keystone_authtoken] auth_url) the endpoint overrides are used and no token is sent: for development
 * against a Nova in noauth mode, and for tests against the fake.
 * @throws Error naming the missing option
 */
export function buildComputeClients(config: ClimateConfig, deps: ComputeClientDeps): ComputeClients {
  const { keystone, logger } = deps;
  if (!keystone) {
    const missing = (['nova', 'placement'] as const).filter((s) => !config[s].endpointOverride);
    if (missing.length) {
      throw new Error(`[compute] driver = nova needs Keystone ([keystone_authtoken] auth_url and the service user) or, ` +
        `for development without Keystone, ${missing.map((s) => `[${s}] endpoint_override`).join(' and ')}`);
    }
  }
  const token = keystone ? async () => (await keystone.session.serviceToken()).token : async () => null;
  const invalidateToken = keystone ? (t: string) => keystone.session.invalidateServiceToken(t) : undefined;
  const common = {
    token, invalidateToken, timeoutMs: config.nova.requestTimeoutMs, retries: config.nova.requestRetries,
    retryDelayMs: config.nova.retryDelayMs, fetch: deps.fetch,
  };
  const url = (type: 'compute' | 'placement', section: 'nova' | 'placement') => async () =>
    (keystone ? keystone.endpoints.url(type) : config[section].endpointOverride);
  const nova = new ServiceClient({
    ...common, service: 'nova', baseUrl: url('compute', 'nova'), logger: logger.child('nova'),
    headers: { 'X-OpenStack-Nova-API-Version': NOVA_MICROVERSION, 'OpenStack-API-Version': `compute ${NOVA_MICROVERSION}` },
  });
  const placement = new ServiceClient({
    ...common, service: 'placement', baseUrl: url('placement', 'placement'), logger: logger.child('placement'),
    headers: { 'OpenStack-API-Version': `placement ${PLACEMENT_MICROVERSION}` },
  });
  return { nova: new NovaClient(nova), placement: new PlacementClient(placement) };
}
