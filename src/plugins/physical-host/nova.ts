import { Conflict, NotFound, type Logger } from '../../common';
import type { HostRecord, NewHost, Repositories } from '../../db';
import { isStatus, type NovaAggregate, type NovaClient, type NovaHypervisor } from '../../openstack';
import type { HookArgs } from '../types';
import type { HostActions } from './actions';
import { PHYSICAL_HOST } from './plugin';

/** Aggregate metadata keys the scheduler filter (src/nova_filter) reads. */
export const RESERVATION_ID_KEY = 'climate:reservation_id';
export const OWNER_PROJECT_KEY = 'climate:owner_project_id';
export const RESERVATION_TYPE_KEY = 'climate:reservation_type';

export interface NovaHostOptions {
  freepoolName: string;
  /** Empty: reservation aggregates get no availability zone. */
  availabilityZonePrefix: string;
  /** How long onEnd waits for the instances it deleted to be gone. */
  instanceDeleteTimeoutMs: number;
  /** Between two looks at deleted instances. */
  instanceDeletePollMs?: number;
}

/** The name of a reservation's aggregate: deterministic, so a retried start finds the one an earlier attempt made. */
export const reservationAggregateName = (reservationId: string) => reservationId;

/** The compute service host aggregates list for a registered host (its service name, else its hypervisor hostname). */
export const serviceHostOf = (h: Pick<HostRecord, 'serviceName' | 'hypervisorHostname'>) => h.serviceName || h.hypervisorHostname;

/** Finds the freepool aggregate, failing clearly when it is missing. */
export async function freepoolOf(nova: NovaClient, name: string): Promise<NovaAggregate> {
  const pool = await nova.findAggregate(name);
  if (!pool) {
    throw new Error(`The freepool aggregate "${name}" does not exist in Nova ([nova] aggregate_freepool_name); ` +
      `create it (openstack aggregate create ${name}) before starting Climate with [compute] driver = nova`);
  }
  return pool;
}

/** Deletes the servers, then waits (bounded) until Nova no longer shows them. */
export async function deleteServersAndWait(nova: NovaClient, ids: string[], timeoutMs: number, pollMs: number, what: string): Promise<void> {
  if (!ids.length) return;
  for (const id of ids) await nova.deleteServer(id);
  const deadline = Date.now() + timeoutMs;
  let left = ids;
  for (;;) {
    const still: string[] = [];
    for (const id of left) if (await nova.serverExists(id)) still.push(id);
    if (!still.length) return;
    if (Date.now() >= deadline) {
      throw new Error(`instances ${still.join(', ')} on ${what} were still not deleted after ${Math.round(timeoutMs / 1000)} s`);
    }
    left = still;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/**
 * Host reservations in Nova. At start an aggregate named after the reservation (metadata for the scheduler
 * filter, an availability zone) receives the hosts, which leave the freepool; at end the instances left on
 * them are deleted, the hosts go back to the freepool and the aggregate is deleted. Every step checks what
 * is already done, so a retried event completes the work of an interrupted one.
 */
export class NovaHostActions implements HostActions {
  constructor(private readonly nova: NovaClient, private readonly repos: Repositories, private readonly options: NovaHostOptions,
    private readonly logger: Logger) {}

  async onStart({ lease, reservation, hostIds }: HookArgs & { hostIds: number[] }): Promise<void> {
    const hosts = await this.hosts(hostIds);
    const aggregate = await this.ensureAggregate(reservation.id, lease.projectId);
    const pool = await freepoolOf(this.nova, this.options.freepoolName);
    for (const host of hosts) {
      // Into the reservation's aggregate first, then out of the freepool: the host is never in neither.
      await this.nova.ensureHostIn(aggregate, serviceHostOf(host));
      await this.nova.ensureHostOut(pool, serviceHostOf(host));
    }
    this.logger.info(`reservation ${reservation.id}: ${hosts.length} host(s) moved to aggregate ${aggregate.id}`, { lease_id: lease.id });
  }

  async onEnd({ lease, reservation, hostIds }: HookArgs & { hostIds: number[] }): Promise<void> {
    await this.releaseHosts(reservation.id, await this.hosts(hostIds));
    this.logger.info(`reservation ${reservation.id}: hosts back in ${this.options.freepoolName}`, { lease_id: lease.id });
  }

  async beforeEnd(): Promise<void> {}

  /**
   * Empties a reservation's aggregate: instances on its hosts deleted (only while the host is still in the
   * aggregate, so a retry never touches a host already handed back), hosts returned to the freepool, aggregate
   * deleted. Also used by the reconciler for aggregates whose lease is gone.
   */
  async releaseHosts(reservationId: string, hosts: Pick<HostRecord, 'serviceName' | 'hypervisorHostname'>[], found?: NovaAggregate): Promise<void> {
    const aggregate = found ?? await this.nova.findAggregate(reservationAggregateName(reservationId));
    const pool = await freepoolOf(this.nova, this.options.freepoolName);
    const names = new Set([...hosts.map(serviceHostOf), ...(aggregate?.hosts ?? [])]);
    for (const name of names) {
      if (aggregate?.hosts.includes(name)) {
        const servers = await this.nova.serversOnHost(name);
        await deleteServersAndWait(this.nova, servers.map((s) => s.id), this.options.instanceDeleteTimeoutMs,
          this.options.instanceDeletePollMs ?? 500, `host ${name}`);
      }
      await this.nova.ensureHostIn(pool, name);
      if (aggregate) await this.nova.ensureHostOut(aggregate, name);
    }
    if (aggregate) {
      try {
        await this.nova.deleteAggregate(aggregate.id);
      } catch (error) {
        if (!isStatus(error, 404)) throw error;
      }
    }
  }

  private async ensureAggregate(reservationId: string, projectId: string): Promise<NovaAggregate> {
    const name = reservationAggregateName(reservationId);
    const az = this.options.availabilityZonePrefix ? `${this.options.availabilityZonePrefix}${reservationId}` : null;
    let aggregate = await this.nova.findAggregate(name);
    if (!aggregate) {
      try {
        aggregate = await this.nova.createAggregate(name, az);
      } catch (error) {
        // Made by an attempt whose answer was lost: use it.
        if (!isStatus(error, 409)) throw error;
        aggregate = await this.nova.findAggregate(name);
        if (!aggregate) throw error;
      }
    }
    const wanted = { [RESERVATION_ID_KEY]: reservationId, [OWNER_PROJECT_KEY]: projectId, [RESERVATION_TYPE_KEY]: PHYSICAL_HOST };
    if (Object.entries(wanted).some(([k, v]) => aggregate!.metadata[k] !== v)) {
      aggregate = await this.nova.setAggregateMetadata(aggregate.id, wanted);
    }
    return aggregate;
  }

  private async hosts(ids: number[]): Promise<HostRecord[]> {
    const hosts = await Promise.all(ids.map((id) => this.repos.hosts.get(id)));
    return hosts.filter((h): h is HostRecord => h !== null);
  }
}

/** What Climate does in the cloud when a host is registered or deleted. */
export interface HostRegistrar {
  /** Looks the host up and returns the fields to record (Nova's resources override the request's). */
  describe(name: string): Promise<Partial<NewHost>>;
  /** Makes the host reservable in the cloud; returns how to undo it if the database write then fails. */
  enroll(host: Pick<NewHost, 'serviceName' | 'hypervisorHostname'>): Promise<() => Promise<void>>;
  /** Takes the host out of Climate's hands; returns how to undo it. */
  retire(host: Pick<HostRecord, 'serviceName' | 'hypervisorHostname'>): Promise<() => Promise<void>>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Registration against Nova: the hypervisor's resources are copied and the host joins the freepool. */
export class NovaHostRegistrar implements HostRegistrar {
  constructor(private readonly nova: NovaClient, private readonly freepoolName: string) {}

  async describe(name: string): Promise<Partial<NewHost>> {
    const hypervisor = await this.find(name);
    // Asked with_servers: Nova (2.53-2.74) leaves `servers` out when there are none. Not running_vms: that is a
    // statistic nova-compute writes, which lags behind (and stays stale while its resource update fails).
    const busy = hypervisor.servers?.length ?? 0;
    if (busy > 0) {
      throw new Conflict('host_has_instances', `Host ${name} runs ${busy} instance(s); only a host without instances can be registered`);
    }
    const service = (await this.nova.listComputeServices()).find((s) => s.host === hypervisor.service.host);
    return {
      hypervisorHostname: hypervisor.hypervisor_hostname,
      hypervisorType: hypervisor.hypervisor_type ?? null,
      hypervisorVersion: hypervisor.hypervisor_version ?? null,
      vcpus: hypervisor.vcpus,
      memoryMb: hypervisor.memory_mb,
      localGb: hypervisor.local_gb,
      cpuInfo: hypervisor.cpu_info == null ? null : typeof hypervisor.cpu_info === 'string' ? hypervisor.cpu_info : JSON.stringify(hypervisor.cpu_info),
      serviceName: hypervisor.service.host,
      availabilityZone: service?.zone ?? null,
    };
  }

  async enroll(host: Pick<NewHost, 'serviceName' | 'hypervisorHostname'>): Promise<() => Promise<void>> {
    const pool = await freepoolOf(this.nova, this.freepoolName);
    const name = serviceHostOf(host);
    if (pool.hosts.includes(name)) return async () => {};
    await this.nova.ensureHostIn(pool, name);
    return async () => this.nova.ensureHostOut(await freepoolOf(this.nova, this.freepoolName), name);
  }

  async retire(host: Pick<HostRecord, 'serviceName' | 'hypervisorHostname'>): Promise<() => Promise<void>> {
    const pool = await freepoolOf(this.nova, this.freepoolName);
    const name = serviceHostOf(host);
    if (!pool.hosts.includes(name)) return async () => {};
    await this.nova.ensureHostOut(pool, name);
    return async () => this.nova.ensureHostIn(await freepoolOf(this.nova, this.freepoolName), name);
  }

  /** The hypervisor named `name` (hypervisor hostname or service host) or with id `name`: 404 none, 409 several. */
  private async find(name: string): Promise<NovaHypervisor> {
    if (UUID.test(name)) {
      try {
        return await this.nova.getHypervisor(name);
      } catch (error) {
        if (isStatus(error, 404)) throw new NotFound('host', name);
        throw error;
      }
    }
    let candidates: NovaHypervisor[] = [];
    try {
      candidates = await this.nova.searchHypervisors(name);
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
    let exact = candidates.filter((h) => h.hypervisor_hostname === name || h.service?.host === name);
    if (!exact.length) {
      // The name may be a compute service host that differs from its hypervisor's hostname.
      const byService = (await this.nova.listHypervisors()).filter((h) => h.service?.host === name);
      exact = await Promise.all(byService.map((h) => this.nova.getHypervisor(h.id)));
    }
    if (!exact.length) throw new NotFound('host', name);
    if (exact.length > 1) {
      throw new Conflict('host_ambiguous', `Several hypervisors match ${name} (${exact.map((h) => h.id).join(', ')}); register one by its id`);
    }
    return exact[0];
  }
}
