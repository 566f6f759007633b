import { renderTimestamp } from '../../common';
import type { HostRecord } from '../../db';


/** A host as Blazar shows it: its columns, then every extra capability flattened in as a string. */
export function renderHost(h: HostRecord): Record<string, unknown> {
  return {
    ...h.extras,
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
