/** What the Nova tests share besides the world: instance leases, what Placement holds for them, fault tables. */
import { reservationResourceClass, slotsProviderName } from '../../../src/plugins/virtual-instance';
import type { FakeNovaPlacement } from '../../fakes/nova-placement';
import type { TestDialect } from '../../support/database';

/**
 * A table of faults, one per cloud step, for `it.each`: every step on SQLite, the first on MariaDB. What differs
 * between engines is the event's way through the database (claim, failure, retry), which is the same whatever
 * the step; the scenarios around the tables run on both in full.
 */
export const faultsOn = <T>(dialect: TestDialect, steps: readonly T[]): T[] => (dialect === 'sqlite' ? [...steps] : steps.slice(0, 1));

export const COMPUTE = ['compute-1', 'compute-2', 'compute-3'];

/** A lease starting now with one virtual:instance reservation of 2 vCPU, 4 GiB, 10 GB (4 slots on a fake host). */
export const instanceLease = (name: string, extra: Record<string, unknown> = {}, lease: Record<string, unknown> = {}) => ({
  name, start_date: 'now', end_date: '2030-01-01 13:00',
  reservations: [{
    resource_type: 'virtual:instance', amount: 3, vcpus: 2, memory_mb: 4096, disk_gb: 10, affinity: 'False', resource_properties: '', ...extra,
  }],
  ...lease,
});

/**
 * The reservation's slots as Placement holds them, by host: the inventory of its class on the slots provider (a
 * child) of each compute node. Checks on the way that every slots provider is such a child, and that no compute
 * node's own provider has inventory of the class.
 */
export function placementSlots(fake: FakeNovaPlacement, rid: string): Record<string, number> {
  const rc = reservationResourceClass(rid);
  const out: Record<string, number> = {};
  for (const h of fake.hypervisors) {
    const node = fake.providers.get(h.providerUuid)!;
    expect(node.inventories[rc]).toBeUndefined();
    const child = [...fake.providers.values()].find((p) => p.name === slotsProviderName(h.hypervisorHostname));
    if (!child) continue;
    expect(child.parentUuid).toBe(node.uuid);
    if (!child.inventories[rc]) continue;
    expect(child.inventories[rc]).toMatchObject({ total: child.inventories[rc].total, max_unit: child.inventories[rc].total });
    out[h.hypervisorHostname] = child.inventories[rc].total;
  }
  expect([...fake.providers.values()].filter((p) => p.name.startsWith(`reservation-${rid}-`))).toEqual([]);
  return out;
}

/**
 * Nothing of Climate's instance reservations left: only the freepool aggregate with every host, no flavor, group,
 * custom class, provider other than the compute nodes' and their (empty) slots providers, nor inventory besides
 * the compute nodes'.
 */
export function expectNothingLeft(fake: FakeNovaPlacement, hosts: string[] = COMPUTE): void {
  expect([...fake.aggregates.values()].map((a) => a.name)).toEqual(['freepool']);
  expect(fake.aggregateNamed('freepool')!.hosts.sort()).toEqual([...hosts].sort());
  expect(fake.flavors.size).toBe(0);
  expect(fake.serverGroups.size).toBe(0);
  expect([...fake.resourceClasses].filter((c) => c.startsWith('CUSTOM_'))).toEqual([]);
  const nodes = fake.hypervisors.map((h) => h.hypervisorHostname);
  const slotsProviders = new Set(nodes.map(slotsProviderName));
  expect([...fake.providers.values()].map((p) => p.name).filter((name) => !slotsProviders.has(name)).sort()).toEqual([...nodes].sort());
  for (const p of fake.providers.values()) {
    expect(Object.keys(p.inventories).sort()).toEqual(slotsProviders.has(p.name) ? [] : ['DISK_GB', 'MEMORY_MB', 'VCPU']);
  }
  expect(fake.allocations.size).toBe(0);
}
