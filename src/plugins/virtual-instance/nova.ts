import type { Logger } from '../../common';
import type { HostRecord, InstanceAllocationRecord, Repositories } from '../../db';
import { isStatus, type NovaAggregate, type NovaClient, type NovaServerGroup, type PlacementClient } from '../../openstack';
import { deleteServersAndWait, OWNER_PROJECT_KEY, RESERVATION_ID_KEY, RESERVATION_TYPE_KEY, serviceHostOf } from '../physical-host';
import type { HookArgs } from '../types';
import type { InstanceActions } from './actions';
import type { InstanceReservationParams } from './params';
import { VIRTUAL_INSTANCE } from './plugin';

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

export interface NovaInstanceOptions {
  /** How long onEnd waits for the instances it deleted to be gone. */
  instanceDeleteTimeoutMs: number;
  instanceDeletePollMs?: number;
}

type Args = HookArgs & { allocations: InstanceAllocationRecord[] };

/**
 * Instance reservations in Nova and Placement. At start: a custom resource class with inventory on each
 * reserved host's provider equal to its slots, a private flavor (extra specs pinning it to the reservation,
 * consuming one unit of the class) shared with the project, a server group for affinity or anti-affinity, and
 * an aggregate holding the hosts (which stay in the freepool) with the scheduler filter's metadata. At end:
 * the instances of the flavor are deleted (bounded wait), then the flavor, group, aggregate, inventory and
 * class. Every step checks what is already done, so a retried event completes an interrupted one.
 */
export class NovaInstanceActions implements InstanceActions {
  constructor(private readonly nova: NovaClient, private readonly placement: PlacementClient, private readonly repos: Repositories,
    private readonly options: NovaInstanceOptions, private readonly logger: Logger) {}

  async onStart({ lease, reservation, allocations }: Args): Promise<void> {
    const params = reservation.params as InstanceReservationParams;
    const rc = reservationResourceClass(reservation.id);
    const hosts = await this.hosts(allocations);

    await this.placement.ensureResourceClass(rc);
    for (const { host, slots } of hosts) {
      const provider = await this.provider(host);
      await this.placement.setInventory(provider, rc, { total: slots, max_unit: slots });
    }

    const flavorId = await this.ensureFlavor(reservation.id, params);
    await this.nova.setFlavorExtraSpecs(flavorId, {
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
      for (const name of [...aggregate.hosts]) await this.nova.ensureHostOut(aggregate, name);
      try {
        await this.nova.deleteAggregate(aggregate.id);
      } catch (error) {
        if (!isStatus(error, 404)) throw error;
      }
    }

    for (const { host } of await this.hosts(allocations)) {
      const provider = await this.placement.providerByName(host.hypervisorHostname);
      if (provider) await this.placement.deleteInventory(provider.uuid, rc);
    }
    await this.placement.deleteResourceClass(rc);
    this.logger.info(`reservation ${reservation.id}: flavor, group, aggregate and inventory removed`, { lease_id: lease.id });
  }

  private async hosts(allocations: InstanceAllocationRecord[]): Promise<{ host: HostRecord; slots: number }[]> {
    const out: { host: HostRecord; slots: number }[] = [];
    for (const a of allocations) {
      const host = await this.repos.hosts.get(a.hostId);
      if (host) out.push({ host, slots: a.slots });
    }
    return out;
  }

  private async provider(host: HostRecord): Promise<string> {
    const provider = await this.placement.providerByName(host.hypervisorHostname);
    if (!provider) throw new Error(`Placement has no resource provider named ${host.hypervisorHostname}`);
    return provider.uuid;
  }

  private async ensureFlavor(reservationId: string, params: InstanceReservationParams): Promise<string> {
    const id = instanceFlavorId(reservationId);
    if (await this.nova.getFlavor(id)) return id;
    try {
      await this.nova.createFlavor({ id, name: id, vcpus: params.vcpus, ram: params.memory_mb, disk: params.disk_gb, isPublic: false });
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
  private async record(leaseId: string, reservationId: string, ids: Pick<InstanceReservationParams, 'flavor_id' | 'server_group_id' | 'aggregate_id'>): Promise<void> {
    await this.repos.db.transaction(async (tx) => {
      await this.repos.leases.getForUpdate(tx, leaseId);
      const current = await this.repos.reservations.get(reservationId, tx);
      if (!current) return;
      const p = current.params;
      if (p.flavor_id === ids.flavor_id && p.server_group_id === ids.server_group_id && p.aggregate_id === ids.aggregate_id) return;
      await this.repos.reservations.updateParams(tx, reservationId, { ...p, ...ids }, current.updatedAt ?? current.createdAt);
    });
  }
}
