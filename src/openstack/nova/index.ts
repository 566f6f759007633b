/** Nova's compute API. */
export {
  NovaClient, NOVA_MICROVERSION,
  type NovaAggregate, type NovaHypervisor, type NovaService, type NovaServer, type NovaFlavor, type NovaServerGroup, type NewFlavor,
} from './client';
