import type { Logger } from '../../common';
import type { HostCondition, HostRecord, Repositories, ReservationRecord, Tx, Window } from '../../db';
import { isStatus, type NovaClient } from '../../openstack';
import { compileFilterSql, parseFilter, validateKeys } from '../filter';
import { deleteServersAndWait, freepoolOf, reservationAggregateName, serviceHostOf } from './nova';
import type { HostReservationParams } from './params';

/** Host statuses written by host healing: the host is not reservable, and this is why. */
export const FAILED_HOST_STATUSES = ['down', 'disabled', 'missing'] as const;
export type HostFailure = (typeof FAILED_HOST_STATUSES)[number];

export const isFailedStatus = (status: string | null | undefined): status is HostFailure =>
  (FAILED_HOST_STATUSES as readonly string[]).includes(status ?? '');

/** What one replacement did to a reservation's allocations. */
export interface Replacement {
  /** Failed hosts whose allocation was removed. */
  removed: number[];
  /** Hosts allocated in their place. */
  added: number[];
}

/**
 * Finds hosts to put in place of failed ones in a reservation, inside the caller's transaction. Same discipline
 * as allocation: one set-based query for candidates (reservable, matching the reservation's filters, free in the
 * window widened by the cleaning time), the candidates locked in id order (skipping rows another transaction
 * holds, waiting for them only when the rest falls short) and read again before the allocations change.
 * The reservation's own allocations count as busy, so a host it already holds is never picked again.
 */
export class HostReplacer {
  constructor(private readonly repos: Repositories, private readonly options: { cleaningTimeMinutes: number }) {}

  /** Replaces up to `failed.length` failed hosts (lowest failed ids first); fewer when fewer hosts are free. */
  async replace(tx: Tx, reservation: ReservationRecord, failed: readonly number[], window: Window): Promise<Replacement> {
    if (!failed.length) return { removed: [], added: [] };
    const conditions = await this.conditions(tx, reservation.params as HostReservationParams);
    const added = await this.pick(tx, conditions, this.widen(window), failed.length);
    const removed = [...failed].sort((a, b) => a - b).slice(0, added.length);
    const allocations = this.repos.hostAllocations;
    await allocations.removeHosts(tx, reservation.id, removed);
    await allocations.insert(tx, reservation.id, reservation.leaseId, added, window);
    return { removed, added };
  }

  private widen(window: Window): Window {
    const c = this.options.cleaningTimeMinutes * 60_000;
    return { start: new Date(window.start.getTime() - c), end: new Date(window.end.getTime() + c) };
  }

  private async conditions(tx: Tx, params: HostReservationParams): Promise<HostCondition[]> {
    const fields = ['hypervisor_properties', 'resource_properties'] as const;
    const exprs = fields.map((field) => parseFilter(params[field] ?? '', field));
    const known = exprs.some((e) => e !== null) ? await this.repos.hosts.propertyNames(tx) : new Set<string>();
    return exprs.map((expr, i) => {
      if (expr) validateKeys(expr, fields[i], known);
      return compileFilterSql(expr, 'h');
    });
  }

  /** Up to `want` free hosts, locked for this transaction (see HostAllocationRepository.claimFree). */
  private pick(tx: Tx, conditions: HostCondition[], window: Window, want: number): Promise<number[]> {
    return this.repos.hostAllocations.claimFree(tx, { conditions, window }, want);
  }
}

export interface AggregateSyncOptions {
  freepoolName: string;
  instanceDeleteTimeoutMs: number;
  instanceDeletePollMs?: number;
}

/** What a sync changed in Nova (service host names). */
export interface AggregateSync {
  joined: string[];
  left: string[];
}

/**
 * Brings an active reservation's aggregate in line with its allocations after hosts were replaced: a host
 * allocated to it goes into the aggregate (then out of the freepool), a registered host in the aggregate that
 * it no longer holds has its instances deleted (while still in the aggregate, as at lease end) and goes back
 * to the freepool (then out of the aggregate). Each step checks what is already so: a sync that failed half
 * way is completed by the next one.
 */
export class ReservationAggregateSync {
  constructor(private readonly nova: NovaClient, private readonly options: AggregateSyncOptions, private readonly logger: Logger) {}

  async sync(reservationId: string, allocated: readonly HostRecord[], registered: readonly HostRecord[]): Promise<AggregateSync> {
    const done: AggregateSync = { joined: [], left: [] };
    const aggregate = await this.nova.findAggregate(reservationAggregateName(reservationId));
    if (!aggregate) {
      this.logger.warning(`host healing: reservation ${reservationId} has no aggregate in Nova; left to the reconciler`);
      return done;
    }
    const pool = await freepoolOf(this.nova, this.options.freepoolName);
    const wanted = new Set(allocated.map(serviceHostOf));
    for (const name of wanted) {
      if (aggregate.hosts.includes(name) && !pool.hosts.includes(name)) continue;
      await this.nova.ensureHostIn(aggregate, name);
      await this.nova.ensureHostOut(pool, name);
      done.joined.push(name);
    }
    const ours = new Set(registered.map(serviceHostOf));
    for (const name of aggregate.hosts) {
      if (wanted.has(name) || !ours.has(name)) continue;
      const servers = await this.nova.serversOnHost(name);
      await deleteServersAndWait(this.nova, servers.map((s) => s.id), this.options.instanceDeleteTimeoutMs,
        this.options.instanceDeletePollMs ?? 500, `host ${name}`);
      try {
        await this.nova.ensureHostIn(pool, name);
      } catch (error) {
        if (!isStatus(error, 404)) throw error;
        // Nova no longer knows the compute host (its service was deleted, which also takes it out of aggregates).
        this.logger.warning(`host healing: host ${name} of reservation ${reservationId}'s aggregate is unknown to Nova; left as is`);
        continue;
      }
      await this.nova.ensureHostOut(aggregate, name);
      done.left.push(name);
    }
    return done;
  }
}
