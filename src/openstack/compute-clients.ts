import type { ClimateConfig } from '../config';
import { NovaClient, NOVA_MICROVERSION } from './nova';
import { PlacementClient, PLACEMENT_MICROVERSION } from './placement';
import { buildServiceClient, requireEndpoints, type ServiceClientDeps } from './service-clients';

/** Nova and Placement, as the nova compute driver uses them. */
export interface ComputeClients {
  nova: NovaClient;
  placement: PlacementClient;
}

export type ComputeClientDeps = ServiceClientDeps;

/**
 * Builds the compute clients from [nova] and [placement] (see buildServiceClient), with their microversions.
 * @throws Error naming the missing option
 */
export function buildComputeClients(config: ClimateConfig, deps: ComputeClientDeps): ComputeClients {
  requireEndpoints(config, deps, '[compute] driver = nova', ['compute', 'placement']);
  const nova = buildServiceClient(config, deps, {
    type: 'compute',
    headers: { 'X-OpenStack-Nova-API-Version': NOVA_MICROVERSION, 'OpenStack-API-Version': `compute ${NOVA_MICROVERSION}` },
  });
  const placement = buildServiceClient(config, deps, {
    type: 'placement',
    headers: { 'OpenStack-API-Version': `placement ${PLACEMENT_MICROVERSION}` },
  });
  return { nova: new NovaClient(nova), placement: new PlacementClient(placement) };
}
