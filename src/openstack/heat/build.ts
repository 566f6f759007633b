import type { ClimateConfig } from '../../config';
import { buildServiceClient, requireEndpoints, type ServiceClientDeps } from '../service-clients';
import { HeatClient, heatRoot } from './client';

/**
 * The Heat client of [compute] driver = nova (see buildServiceClient): the catalog's orchestration endpoint or
 * `[heat] endpoint_override`. Stack calls pass the lease owner's trust-scoped token per call.
 * @throws Error naming the missing option
 */
export function buildHeatClient(config: ClimateConfig, deps: ServiceClientDeps): HeatClient {
  requireEndpoints(config, deps, 'virtual:stack with [compute] driver = nova', ['orchestration']);
  return new HeatClient(buildServiceClient(config, deps, {
    type: 'orchestration', root: heatRoot,
  }));
}
