import type { ClimateConfig } from '../../config';
import { buildServiceClient, requireEndpoints, type ServiceClientDeps } from '../service-clients';
import { CinderClient, cinderRoot } from './client';

/**
 * The Cinder client of [compute] driver = nova (see buildServiceClient): the catalog's volumev3 endpoint or
 * `[cinder] endpoint_override`. Volume calls for a lease with a trust pass the owner's token per call.
 * @throws Error naming the missing option
 */
export function buildCinderClient(config: ClimateConfig, deps: ServiceClientDeps): CinderClient {
  requireEndpoints(config, deps, 'virtual:volume with [compute] driver = nova', ['volumev3']);
  return new CinderClient(buildServiceClient(config, deps, {
    type: 'volumev3', root: cinderRoot,
  }));
}
