import type { LeaseRecord, Repositories, ReservationRecord, Tx } from '../db';
import type { LeaseDocument, LeaseSubject, ReservationDocument } from './types';

/** "YYYY-MM-DD HH:MM:SS" in UTC: how Blazar's external service filter writes its datetimes. */
export function enforcementDate(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * The resources a reservation holds, read in the caller's transaction (so a create or update sees what it has
 * just allocated), in the shape Blazar's filters get them: one object per host, floating IP or volume pool.
 */
async function allocationsOf(repos: Repositories, tx: Tx, r: ReservationRecord): Promise<Record<string, unknown>[]> {
  switch (r.resourceType) {
    case 'physical:host': {
      const held = await repos.hostAllocations.list({ reservationId: r.id }, tx);
      const hosts = await Promise.all(held.map((a) => repos.hosts.get(a.hostId, tx)));
      return hosts.filter((h) => h !== null).map((h) => ({
        id: String(h.id), hypervisor_hostname: h.hypervisorHostname, vcpus: h.vcpus, memory_mb: h.memoryMb, local_gb: h.localGb,
        availability_zone: h.availabilityZone, extra: { ...h.extras },
      }));
    }
    case 'virtual:instance':
    case 'virtual:stack':
    case 'flavor:instance': {
      const held = await repos.instanceAllocations.list({ reservationId: r.id }, tx);
      const slots = new Map<number, number>();
      for (const a of held) slots.set(a.hostId, (slots.get(a.hostId) ?? 0) + a.slots);
      const hosts = await Promise.all([...slots.keys()].map((id) => repos.hosts.get(id, tx)));
      return hosts.filter((h) => h !== null).map((h) => ({ id: String(h.id), hypervisor_hostname: h.hypervisorHostname, slots: slots.get(h.id) }));
    }
    case 'virtual:floatingip':
      return (await repos.floatingIpAllocations.list({ reservationId: r.id }, tx)).map((a) => ({
        id: a.floatingipId, floating_ip_address: a.floatingIpAddress, floating_network_id: a.floatingNetworkId,
      }));
    case 'virtual:volume': {
      const held = await repos.volumePools.allocations({ reservationId: r.id }, tx);
      const pools = await Promise.all(held.map((a) => repos.volumePools.get(a.poolId, tx)));
      return held.map((a, i) => ({ id: a.poolId, name: pools[i]?.name ?? null, amount: a.amount, size_gb: a.sizeGb }));
    }
    default:
      return [];
  }
}

/** The lease as the filters see it, with each reservation's parameters and resources. */
export async function leaseSubject(repos: Repositories, tx: Tx, lease: LeaseRecord, reservations: readonly ReservationRecord[]): Promise<LeaseSubject> {
  const documents: ReservationDocument[] = [];
  for (const r of reservations) {
    documents.push({ ...r.params, id: r.id, resource_type: r.resourceType, status: r.status, allocations: await allocationsOf(repos, tx, r) });
  }
  const document: LeaseDocument = {
    id: lease.id, name: lease.name, user_id: lease.userId, project_id: lease.projectId,
    start_date: enforcementDate(lease.startDate), end_date: enforcementDate(lease.endDate),
    before_end_date: lease.beforeEndDate ? enforcementDate(lease.beforeEndDate) : null, status: lease.status, reservations: documents,
  };
  return { document, start: lease.startDate, end: lease.endDate };
}
