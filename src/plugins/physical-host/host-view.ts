import type { HostRecord } from '../../db';

const stamp = (d: Date | null) => (d ? d.toISOString().replace('T', ' ').slice(0, 19) : null);

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
    created_at: stamp(h.createdAt),
    updated_at: stamp(h.updatedAt),
  };
}
