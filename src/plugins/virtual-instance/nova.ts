import type { Logger } from '../../common';
import type { HostRecord, InstanceAllocationRecord, Repositories } from '../../db';
import { isStatus, type NovaAggregate, type NovaClient, type NovaServerGroup, type PlacementClient } from '../../openstack';
import { deleteServersAndWait, OWNER_PROJECT_KEY, RESERVATION_ID_KEY, RESERVATION_TYPE_KEY, serviceHostOf, type HostFailure } from '../physical-host';
import type { HookArgs } from '../types';
import type { InstanceActions } from './actions';
import type { InstanceReservationParams } from './params';
import { VIRTUAL_INSTANCE } from './plugin';
import { slotsByHost } from './slots';

/** Flavor extra specs the scheduler filter (src/nova_filter) and Nova's AggregateInstanceExtraSpecsFilter read. */
export const FLAVOR_RESERVATION_KEY = 'climate:reservation';
export const FLAVOR_AGGREGATE_KEY = 'aggregate_instance_extra_specs:climate:reservation_id';

/** The custom resource class of a reservation: CUSTOM_RESERVATION_ plus its id upper-cased, non-alphanumerics as `_`. */
export const reservationResourceClass = (reservationId: string) =>
  `CUSTOM_RESERVATION_${reservationId.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;

/**
 * Deterministic names, so that a retried event finds what an earlier attempt made. The flavor's id and name
 * are the reservation id; the group and the aggregate are named after it too.
 */
export const instanceFlavorId = (reservationId: string) => reservationId;
export const instanceGroupName = (reservationId: string) => `reservation-${reservationId}`;
export const instanceAggregateName = (reservationId: string) => `reservation-${reservationId}`;

/** The host status host healing gives a host whose hypervisor or compute service Nova no longer lists. */
const MISSING: HostFailure = 'missing';

/**
 * The Placement provider holding the slots of Climate's instance reservations on one host: a child of the compute
 * node's provider, with one inventory per reservation (of the reservation's class). A child, not the node's own
 * provider, because nova-compute rewrites the inventory of its node's provider (update_provider_tree) and would
 * drop a class it does not know; a child it did not make is left alone. Made on the first reservation on the
 * host and never deleted: nova-compute caches its provider tree, children included, for
 * [compute] resource_provider_association_refresh (300 s), and a child deleted meanwhile fails every build and
 * resource update on the host with "Failed to retrieve allocations for resource provider ...: 404".
 */
const SLOTS_PROVIDER_PREFIX = 'climate-slots-';
export const slotsProviderName = (hypervisorHostname: string) => `${SLOTS_PROVIDER_PREFIX}${hypervisorHostname}`;
/** The per-reservation child providers of earlier versions (deleted when such a reservation ends or moves). */
const legacyProviderPrefix = (reservationId: string) => `reservation-${reservationId}-`;

export interface NovaInstanceOptions {
  /** How long onEnd waits for the instances it deleted to be gone. */
  instanceDeleteTimeoutMs: number;
  instanceDeletePollMs?: number;
}

/** The Nova flavor a flavor:instance reservation copies (its parameters hold it); undefined for virtual:instance. */
interface CopiedFlavor { vcpus: number; ram: number; disk: number; ephemeral: number; extra_specs: Record<string, string> }
const sourceOf = (params: InstanceReservationParams) => params.source_flavor as CopiedFlavor | undefined;

type Args = HookArgs & { allocations: InstanceAllocationRecord[] };
interface HeldHost { host: HostRecord; slots: number }

/**
 * Instance reservations in Nova and Placement. At start: a custom resource class, and on each reserved host
 * inventory of the class equal to the host's slots on the host's slots provider (a child of the compute node's
 * provider named `climate-slots-<hostname>`, shared by every reservation on the host and kept); a private flavor (extra specs pinning it to the reservation,
 * consuming one unit of the class, which Placement finds in the node's tree) shared with the project; a server
 * group for affinity or anti-affinity; and an aggregate holding the hosts (which stay in the freepool) with
 * the scheduler filter's metadata. When the slots change while the lease is active (a raised amount, healing):
 * new hosts join the aggregate and get inventory of the class, inventories follow the slots, and on a host the
 * reservation left its instances are deleted, then the host leaves the aggregate and its inventory goes.
 * At end: the instances of the flavor are deleted (bounded wait), then the flavor, group, aggregate, the
 * inventories of the class and the class; the slots providers stay. Every step checks what is already done, so a retried event completes an interrupted one.
 */
export class NovaInstanceActions implements InstanceActions {
  constructor(private readonly nova: NovaClient, private readonly placement: PlacementClient, private readonly repos: Repositories,
    private readonly options: NovaInstanceOptions, private readonly logger: Logger) {}

  async onStart({ lease, reservation, allocations }: Args): Promise<void> {
    const params = reservation.params as InstanceReservationParams;
    const rc = reservationResourceClass(reservation.id);
    const hosts = await this.usable(reservation.id, await this.hosts(allocations));

    await this.placement.ensureResourceClass(rc);
    await this.ensureCapacity(reservation.id, rc, hosts);

    const flavorId = await this.ensureFlavor(reservation.id, params);
    await this.nova.setFlavorExtraSpecs(flavorId, {
      // A flavor:instance reservation's flavor is a copy of the one asked for, its extra specs (traits, CPU policy...) too.
      ...sourceOf(params)?.extra_specs,
      [FLAVOR_RESERVATION_KEY]: reservation.id, [FLAVOR_AGGREGATE_KEY]: reservation.id, [`resources:${rc}`]: '1',
    });
    await this.nova.ensureFlavorAccess(flavorId, lease.projectId);

    const group = params.affinity === null ? null : await this.ensureGroup(reservation.id, params.affinity ? 'affinity' : 'anti-affinity');

    const aggregate = await this.ensureAggregate(reservation.id, lease.projectId);
    for (const { host } of hosts) await this.nova.ensureHostIn(aggregate, serviceHostOf(host));

    await this.record(reservation.leaseId, reservation.id, { flavor_id: flavorId, server_group_id: group?.id ?? null, aggregate_id: aggregate.id });
    this.logger.info(`reservation ${reservation.id}: flavor ${flavorId}, aggregate ${aggregate.id}, `
      + `${hosts.reduce((n, h) => n + h.slots, 0)} slot(s) on ${hosts.length} host(s)`, { lease_id: lease.id });
  }

  async onUpdate({ lease, reservation, allocations }: Args): Promise<void> {
    const params = reservation.params as Partial<InstanceReservationParams>;
    const flavorId = params.flavor_id ?? instanceFlavorId(reservation.id);
    const rc = reservationResourceClass(reservation.id);
    const held = await this.hosts(allocations);
    const hosts = await this.usable(reservation.id, held);

    // What the reservation gained first: its instances can use the new slots at once.
    await this.placement.ensureResourceClass(rc);
    await this.ensureCapacity(reservation.id, rc, hosts);
    const aggregate = await this.ensureAggregate(reservation.id, lease.projectId);
    for (const { host } of hosts) await this.nova.ensureHostIn(aggregate, serviceHostOf(host));

    // Then the hosts it no longer holds (healing moved their slots): as at lease end, its instances there are
    // deleted while the host is still in the aggregate, then the host leaves it and its inventory of the class goes.
    const kept = new Set(held.map(({ host }) => serviceHostOf(host)));
    const left = aggregate.hosts.filter((name) => !kept.has(name));
    if (left.length) {
      const servers = (await this.nova.serversWithFlavor(flavorId)).filter((s) => left.includes(s['OS-EXT-SRV-ATTR:host'] ?? ''));
      await deleteServersAndWait(this.nova, servers.map((s) => s.id), this.options.instanceDeleteTimeoutMs,
        this.options.instanceDeletePollMs ?? 500, `host(s) ${left.join(', ')} of reservation ${reservation.id}`);
      for (const name of left) await this.leaveAggregate(aggregate, name, reservation.id);
    }
    await this.dropInventories(reservation.id, rc, held.map(({ host }) => host));
    if (params.aggregate_id !== aggregate.id) await this.record(reservation.leaseId, reservation.id, { aggregate_id: aggregate.id });
    this.logger.info(`reservation ${reservation.id}: ${hosts.reduce((n, h) => n + h.slots, 0)} slot(s) on ${hosts.length} host(s)`
      + `${left.length ? `; left ${left.join(', ')}` : ''}`, { lease_id: lease.id });
  }

  async onEnd({ lease, reservation, allocations }: Args): Promise<void> {
    const params = reservation.params as Partial<InstanceReservationParams>;
    const flavorId = params.flavor_id ?? instanceFlavorId(reservation.id);
    const rc = reservationResourceClass(reservation.id);

    const servers = await this.nova.serversWithFlavor(flavorId);
    await deleteServersAndWait(this.nova, servers.map((s) => s.id), this.options.instanceDeleteTimeoutMs,
      this.options.instanceDeletePollMs ?? 500, `flavor ${flavorId}`);
    await this.nova.deleteFlavor(flavorId);

    for (const group of await this.groups(reservation.id)) await this.nova.deleteServerGroup(group.id);

    const aggregate = await this.nova.findAggregate(instanceAggregateName(reservation.id));
    if (aggregate) {
      for (const name of [...aggregate.hosts]) await this.leaveAggregate(aggregate, name, reservation.id);
      try {
        await this.nova.deleteAggregate(aggregate.id);
      } catch (error) {
        if (!isStatus(error, 404)) throw error;
      }
    }

    // Its inventory on every slots provider, also on hosts it left.
    await this.dropInventories(reservation.id, rc, []);
    // Reservations started before the inventory moved to child providers have it on the compute node's provider.
    for (const { host } of await this.hosts(allocations)) {
      const provider = await this.placement.providerByName(host.hypervisorHostname);
      if (provider) await this.placement.deleteInventory(provider.uuid, rc);
    }
    await this.placement.deleteResourceClass(rc);
    this.logger.info(`reservation ${reservation.id}: flavor, group, aggregate, providers and inventory removed`, { lease_id: lease.id });
  }

  /** The reservation's hosts with their slots (summed over its rows), lowest host id first. */
  private async hosts(allocations: InstanceAllocationRecord[]): Promise<HeldHost[]> {
    const out: HeldHost[] = [];
    for (const a of slotsByHost(allocations)) {
      const host = await this.repos.hosts.get(a.hostId);
      if (host) out.push({ host, slots: a.slots });
    }
    return out;
  }

  /**
   * The hosts to act on: not those host healing found gone from Nova (`missing`), which neither Nova's aggregates
   * nor Placement know any more; the reservation misses their slots until healing moves them (or the host comes
   * back, and healing runs `update_lease` again). A host down or disabled is still known: it is acted on.
   */
  private async usable(reservationId: string, held: HeldHost[]): Promise<HeldHost[]> {
    const gone = held.filter(({ host }) => host.status === MISSING);
    if (gone.length) {
      this.logger.warning(`reservation ${reservationId}: host(s) ${gone.map(({ host }) => host.hypervisorHostname).join(', ')} `
        + 'are gone from Nova; their slots are left as they are until healing moves them');
    }
    return held.filter(({ host }) => host.status !== MISSING);
  }

  /** On each host, inventory of the reservation's class equal to the host's slots on the host's slots provider. */
  private async ensureCapacity(reservationId: string, rc: string, hosts: HeldHost[]): Promise<void> {
    for (const { host, slots } of hosts) {
      const node = await this.placement.providerByName(host.hypervisorHostname);
      if (!node) throw new Error(`Placement has no resource provider named ${host.hypervisorHostname}`);
      // A reservation started by an earlier version keeps its own provider on the host (deleted at its end).
      const child = await this.placement.providerByName(`${legacyProviderPrefix(reservationId)}${host.hypervisorHostname}`)
        ?? await this.placement.ensureChildProvider(slotsProviderName(host.hypervisorHostname), node.uuid);
      await this.placement.setInventory(child.uuid, rc, { total: slots, max_unit: slots });
    }
  }

  /**
   * Removes the reservation's inventory from the slots providers but those of the hosts in `keep` (the providers
   * stay). The per-reservation providers of earlier versions are deleted: nothing else uses them.
   */
  private async dropInventories(reservationId: string, rc: string, keep: HostRecord[]): Promise<void> {
    const kept = new Set(keep.map((h) => slotsProviderName(h.hypervisorHostname)));
    const legacyKept = new Set(keep.map((h) => `${legacyProviderPrefix(reservationId)}${h.hypervisorHostname}`));
    for (const p of await this.placement.listProviders()) {
      if (p.name.startsWith(SLOTS_PROVIDER_PREFIX) && !kept.has(p.name)) await this.placement.deleteInventory(p.uuid, rc);
      else if (p.name.startsWith(legacyProviderPrefix(reservationId)) && !legacyKept.has(p.name)) await this.placement.deleteProvider(p.uuid);
    }
  }

  /** Takes a host out of the reservation's aggregate; one Nova no longer knows stays listed (Nova drops it with its service). */
  private async leaveAggregate(aggregate: NovaAggregate, name: string, reservationId: string): Promise<void> {
    try {
      await this.nova.ensureHostOut(aggregate, name);
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
      this.logger.warning(`reservation ${reservationId}: host ${name} of its aggregate is unknown to Nova; left as is`);
    }
  }

  private async ensureFlavor(reservationId: string, params: InstanceReservationParams): Promise<string> {
    const id = instanceFlavorId(reservationId);
    if (await this.nova.getFlavor(id)) return id;
    try {
      const source = sourceOf(params);
      await this.nova.createFlavor(source
        ? { id, name: id, vcpus: source.vcpus, ram: source.ram, disk: source.disk, ephemeral: source.ephemeral, isPublic: false }
        : { id, name: id, vcpus: params.vcpus, ram: params.memory_mb, disk: params.disk_gb, isPublic: false });
    } catch (error) {
      // Made by an attempt whose answer was lost: use it.
      if (!isStatus(error, 409) || !(await this.nova.getFlavor(id))) throw error;
    }
    return id;
  }

  private async groups(reservationId: string): Promise<NovaServerGroup[]> {
    const name = instanceGroupName(reservationId);
    return (await this.nova.listServerGroups()).filter((g) => g.name === name);
  }

  private async ensureGroup(reservationId: string, policy: string): Promise<NovaServerGroup> {
    const [existing, ...extra] = await this.groups(reservationId);
    // Groups made by attempts whose answer was lost, beyond the first, are removed.
    for (const g of extra) await this.nova.deleteServerGroup(g.id);
    return existing ?? this.nova.createServerGroup(instanceGroupName(reservationId), policy);
  }

  private async ensureAggregate(reservationId: string, projectId: string): Promise<NovaAggregate> {
    const name = instanceAggregateName(reservationId);
    let aggregate = await this.nova.findAggregate(name);
    if (!aggregate) {
      try {
        aggregate = await this.nova.createAggregate(name, null);
      } catch (error) {
        if (!isStatus(error, 409)) throw error;
        aggregate = await this.nova.findAggregate(name);
        if (!aggregate) throw error;
      }
    }
    const wanted = { [RESERVATION_ID_KEY]: reservationId, [OWNER_PROJECT_KEY]: projectId, [RESERVATION_TYPE_KEY]: VIRTUAL_INSTANCE };
    if (Object.entries(wanted).some(([k, v]) => aggregate!.metadata[k] !== v)) {
      aggregate = await this.nova.setAggregateMetadata(aggregate.id, wanted);
    }
    return aggregate;
  }

  /** Stores the ids of what was made in the reservation's parameters, under the lease's row lock (as a PUT takes). */
  private async record(leaseId: string, reservationId: string,
    ids: Partial<Pick<InstanceReservationParams, 'flavor_id' | 'server_group_id' | 'aggregate_id'>>): Promise<void> {
    await this.repos.db.transaction(async (tx) => {
      await this.repos.leases.getForUpdate(tx, leaseId);
      const current = await this.repos.reservations.get(reservationId, tx);
      if (!current) return;
      const p = current.params;
      if (Object.entries(ids).every(([k, v]) => p[k] === v)) return;
      await this.repos.reservations.updateParams(tx, reservationId, { ...p, ...ids }, current.updatedAt ?? current.createdAt);
    });
  }
}
