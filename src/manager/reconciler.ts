import type { Logger } from '../common';
import type { HostRecord, Repositories } from '../db';
import type { NovaClient } from '../openstack';
import {
  freepoolOf, PHYSICAL_HOST, RESERVATION_ID_KEY, RESERVATION_TYPE_KEY, serviceHostOf, type NovaHostActions,
} from '../plugins/physical-host';

/** One disagreement between Nova's aggregates and the database, and whether it was repaired. */
export interface Finding {
  kind: 'host_not_in_freepool' | 'reserved_host_in_freepool' | 'reserved_host_not_in_aggregate' | 'orphan_aggregate' | 'unknown_host_in_freepool';
  detail: string;
  repaired: boolean;
}

export interface ReconcilerOptions {
  freepoolName: string;
  /** Repair what can be repaired safely; otherwise only report. */
  repair: boolean;
}

/** Lease states whose aggregate is being changed by a running event: left alone. */
const IN_FLIGHT = ['STARTING', 'TERMINATING', 'DELETING', 'UPDATING', 'ERROR'];

/**
 * Compares Nova's aggregates with the host reservations in the database and reports (and, when allowed,
 * repairs) what disagrees: a registered host that is in no aggregate Climate knows, a host of an active
 * reservation still in the freepool or missing from its aggregate, an aggregate of a reservation whose lease
 * is over or gone. Aggregates of leases with a running event are left to that event. An orphan aggregate
 * whose hosts still run instances is only reported: deleting instances is for lease events, not for a sweeper.
 */
export class Reconciler {
  constructor(private readonly nova: NovaClient, private readonly repos: Repositories, private readonly actions: NovaHostActions,
    private readonly options: ReconcilerOptions, private readonly logger: Logger) {}

  async runOnce(): Promise<Finding[]> {
    const findings: Finding[] = [];
    const note = (kind: Finding['kind'], detail: string, repaired: boolean) => {
      findings.push({ kind, detail, repaired });
      this.logger.warning(`reconciler: ${detail}${repaired ? ' (repaired)' : ''}`);
    };
    const [aggregates, hosts] = await Promise.all([this.nova.listAggregates(), this.repos.hosts.list()]);
    let pool = await freepoolOf(this.nova, this.options.freepoolName);
    const ours = aggregates.filter((a) => a.metadata[RESERVATION_TYPE_KEY] === PHYSICAL_HOST && a.metadata[RESERVATION_ID_KEY]);
    const reservations = await this.repos.reservations.listWithLeaseStatus(PHYSICAL_HOST, {
      ids: ours.map((a) => a.metadata[RESERVATION_ID_KEY]), leaseStatuses: ['ACTIVE', ...IN_FLIGHT],
    });
    const byId = new Map(reservations.map((r) => [r.id, r]));
    const hostById = new Map(hosts.map((h) => [h.id, h]));
    const protectedHosts = new Set<string>();

    // Active reservations: their hosts in their aggregate, out of the freepool.
    for (const r of reservations) {
      if (r.leaseStatus !== 'ACTIVE' && !IN_FLIGHT.includes(r.leaseStatus)) continue;
      const allocated = (await this.repos.hostAllocations.list({ reservationId: r.id }))
        .map((a) => hostById.get(a.hostId)).filter((h): h is HostRecord => !!h);
      for (const h of allocated) protectedHosts.add(serviceHostOf(h));
      if (r.leaseStatus !== 'ACTIVE') continue;
      const aggregate = ours.find((a) => a.metadata[RESERVATION_ID_KEY] === r.id);
      for (const h of allocated) {
        const name = serviceHostOf(h);
        if (!aggregate || !aggregate.hosts.includes(name)) {
          const fix = this.options.repair && !!aggregate;
          if (fix) await this.nova.ensureHostIn(aggregate!, name);
          note('reserved_host_not_in_aggregate', `host ${name} of active reservation ${r.id} is not in ${aggregate ? `aggregate ${aggregate.id}` : 'any aggregate (aggregate missing)'}`, fix);
        }
        if (pool.hosts.includes(name)) {
          const fix = this.options.repair && !!aggregate;
          if (fix) await this.nova.ensureHostOut(pool, name);
          note('reserved_host_in_freepool', `host ${name} of active reservation ${r.id} is still in the freepool`, fix);
        }
      }
    }

    // Aggregates whose reservation is over or gone.
    for (const a of ours) {
      const r = byId.get(a.metadata[RESERVATION_ID_KEY]);
      if (r && (r.leaseStatus === 'ACTIVE' || IN_FLIGHT.includes(r.leaseStatus))) continue;
      let fix = false;
      if (this.options.repair) {
        const busy = (await Promise.all(a.hosts.map((h) => this.nova.serversOnHost(h)))).some((s) => s.length);
        if (!busy) {
          await this.actions.releaseHosts(a.metadata[RESERVATION_ID_KEY], [], a);
          fix = true;
        }
      }
      note('orphan_aggregate', `aggregate ${a.id} (${a.name}) belongs to reservation ${a.metadata[RESERVATION_ID_KEY]}, `
        + `which is ${r ? `in a ${r.leaseStatus} lease` : 'gone'}${a.hosts.length ? `; hosts ${a.hosts.join(', ')}` : ''}`, fix);
      if (fix) pool = await freepoolOf(this.nova, this.options.freepoolName);
    }

    // Registered hosts that no reservation holds: in the freepool.
    const inOurs = new Set((await this.nova.listAggregates()).filter((a) => a.metadata[RESERVATION_TYPE_KEY] === PHYSICAL_HOST).flatMap((a) => a.hosts));
    for (const h of hosts) {
      const name = serviceHostOf(h);
      if (protectedHosts.has(name) || pool.hosts.includes(name) || inOurs.has(name)) continue;
      const fix = this.options.repair;
      if (fix) await this.nova.ensureHostIn(pool, name);
      note('host_not_in_freepool', `registered host ${name} is neither in the freepool nor in a reservation's aggregate`, fix);
    }
    const known = new Set(hosts.map(serviceHostOf));
    for (const name of pool.hosts) {
      if (!known.has(name)) note('unknown_host_in_freepool', `host ${name} is in the freepool but not registered with Climate`, false);
    }
    return findings;
  }
}
