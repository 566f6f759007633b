import type { ClimateConfig } from '../../config';
import { buildServiceClient, requireEndpoints, type ServiceClientDeps } from '../service-clients';
import { NeutronClient } from './client';

/**
 * The Neutron client of [compute] driver = nova (see buildServiceClient): the catalog's network endpoint or
 * `[neutron] endpoint_override`.
 * @throws Error naming the missing option
 */
export function buildNeutronClient(config: ClimateConfig, deps: ServiceClientDeps): NeutronClient {
  requireEndpoints(config, deps, 'virtual:floatingip with [compute] driver = nova', ['network']);
  return new NeutronClient(buildServiceClient(config, deps, {
    type: 'network',
  }));
}
