import { renderTimestamp } from '../../common';
import type { HostRecord } from '../../db';

/** Where a rendered host shows its extra capabilities together; no capability may take the name. */
export const EXTRA_CAPABILITY = 'extra_capability';

/**
 * A host as Blazar shows it: its columns, then every extra capability flattened in as a string. The
 * capabilities are also shown together under `extra_capability`, the attribute Heat's OS::Blazar::Host reads
 * (Blazar lacks it, so the attribute fails there); that name is reserved for it.
 */
export function renderHost(h: HostRecord): Record<string, unknown> {
  return {
    ...h.extras,
    [EXTRA_CAPABILITY]: { ...h.extras },
    id: String(h.id),
    hypervisor_hostname: h.hypervisorHostname,
    hypervisor_type: h.hypervisorType,
    hypervisor_version: h.hypervisorVersion,
    vcpus: h.vcpus,
    cpu_info: h.cpuInfo,
    memory_mb: h.memoryMb,
    local_gb: h.localGb,
    service_name: h.serviceName,
    availability_zone: h.availabilityZone,
    status: h.status,
    reservable: h.reservable,
    trust_id: h.trustId,
    created_at: renderTimestamp(h.createdAt),
    updated_at: renderTimestamp(h.updatedAt),
  };
}
