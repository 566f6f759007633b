import type { NovaClient } from '../../openstack';
import type { ProjectFlavorLookup } from './params';

/**
 * Flavors as a project sees them in Nova: by id (as Blazar's `flavors.get`), public or shared with the project.
 * Climate asks with its own (admin) credentials, which see every flavor, so it checks the access list itself.
 */
export function novaFlavorLookup(nova: NovaClient): ProjectFlavorLookup {
  return async (flavorId, projectId) => {
    const f = await nova.getFlavor(flavorId);
    if (!f) return null;
    if (f['os-flavor-access:is_public'] === false && !(await nova.flavorAccess(f.id)).includes(projectId)) return null;
    return {
      id: f.id, name: f.name, vcpus: f.vcpus, ram: f.ram, disk: f.disk, ephemeral: f['OS-FLV-EXT-DATA:ephemeral'] ?? 0,
      extra_specs: { ...f.extra_specs },
    };
  };
}
