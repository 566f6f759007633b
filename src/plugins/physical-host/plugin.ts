import { NotEnoughResources } from '../../common';
import type { HostCondition, Repositories, ReservationRecord, Tx, Window } from '../../db';
import { bookingWords, ConflictNamingLeases, type LeaseNamer } from '../conflicts';
import { compileFilterSql, parseFilter, validateKeys } from '../filter';
import type { AvailabilityPlanner, AvailabilityQuery, HookArgs, ResourcePlugin } from '../types';
import type { HostActions } from './actions';
import { HostAvailability } from './availability';
import { parseHostParams, updateHostParams, type HostReservationParams } from './params';

export const PHYSICAL_HOST = 'physical:host';

export interface PhysicalHostOptions {
  /** Minutes a host stays free between two allocations (`[DEFAULT] cleaning_time`). */
  cleaningTimeMinutes: number;
}

const minutes = (n: number) => n * 60_000;

/**
 * Whole compute hosts for the lease window. Hosts are chosen by one set-based query; on engines with row
 * locks the chosen hosts are locked as that query finds them (skipping those other transactions hold) and
 * re-checked, so two concurrent requests never get the same host (on SQLite the single writer gives the
 * same guarantee).
 */
export class PhysicalHostPlugin implements ResourcePlugin {
  readonly resourceType = PHYSICAL_HOST;
  /** Does not act as the lease's owner: Nova aggregates with Climate's service token. */
  readonly actsAsOwner = false;

  constructor(
    private readonly repos: Repositories,
    private readonly actions: HostActions,
    private readonly options: PhysicalHostOptions,
  ) {}

  async validate(raw: Record<string, unknown>): Promise<HostReservationParams> {
    return parseHostParams(raw);
  }

  async validateUpdate(current: Record<string, unknown>, changes: Record<string, unknown>, started: boolean): Promise<HostReservationParams> {
    return updateHostParams(current as HostReservationParams, changes, started);
  }

  async allocate(tx: Tx, reservation: ReservationRecord, window: Window): Promise<void> {
    const params = reservation.params as HostReservationParams;
    const conditions = await this.conditions(tx, params);
    const chosen = await this.pick(tx, conditions, window, params.max, reservation.id, []);
    if (chosen.length < params.min) throw await this.notEnough(tx, params, conditions, window, reservation.id);
    await this.repos.hostAllocations.insert(tx, reservation.id, reservation.leaseId, chosen, window);
  }

  async reallocate(tx: Tx, reservation: ReservationRecord, window: Window, started: boolean): Promise<void> {
    const params = reservation.params as HostReservationParams;
    const allocations = this.repos.hostAllocations;
    const current = await allocations.list({ reservationId: reservation.id }, tx);
    const held = current.map((a) => a.hostId);
    const conditions = await this.conditions(tx, params);
    await allocations.lockHosts(tx, held);
    const stillFit = await allocations.findFree(tx, {
      conditions, window: this.widen(window), ignoreReservationId: reservation.id, onlyHostIds: held,
    });
    const keep = stillFit.slice(0, params.max);
    const dropped = held.filter((id) => !keep.includes(id));
    if (started && dropped.length) {
      throw await this.cannotKeep(tx, reservation, params, window, current[0]?.endDate ?? window.end, dropped, stillFit);
    }
    const extra = keep.length < params.max
      ? await this.pick(tx, conditions, window, params.max - keep.length, reservation.id, held)
      : [];
    if (keep.length + extra.length < params.min) {
      const error = await this.notEnough(tx, params, conditions, window, reservation.id);
      // Say why the hosts it holds no longer do, if that is the reason: a pending lease moved onto other bookings.
      const why = await this.whyNotHeld(tx, reservation.id, window, dropped.filter((id) => !stillFit.includes(id)));
      throw why.length
        ? new ConflictNamingLeases(error.code, (name) => `${error.message}; of the hosts it holds, ${why.map((w) => w(name)).join('; ')}`)
        : error;
    }
    await allocations.removeHosts(tx, reservation.id, dropped);
    await allocations.moveReservation(tx, reservation.id, window);
    await allocations.insert(tx, reservation.id, reservation.leaseId, extra, window);
  }

  async planAvailability(tx: Tx | undefined, raw: Record<string, unknown>, query: AvailabilityQuery): Promise<AvailabilityPlanner> {
    const params = raw as HostReservationParams;
    const conditions = await this.conditions(tx, params);
    const { hosts, bookings } = await this.repos.hostTimeline.read(tx, conditions, this.widen({ start: query.from, end: query.to }));
    return new HostAvailability(hosts, bookings, params, query, minutes(this.options.cleaningTimeMinutes));
  }

  async release(tx: Tx, reservation: ReservationRecord): Promise<void> {
    await this.repos.hostAllocations.removeReservation(tx, reservation.id);
  }

  async headsUp(reservation: ReservationRecord): Promise<Record<string, unknown>> {
    const hostIds = await this.hostIdsOf(reservation);
    const hosts = await Promise.all(hostIds.map((id) => this.repos.hosts.get(id)));
    return {
      hosts: hosts.filter((h) => h !== null).map((h) => ({
        id: String(h.id), hypervisor_hostname: h.hypervisorHostname, ...h.extras,
      })),
    };
  }

  async onStart(args: HookArgs): Promise<void> {
    await this.actions.onStart({ ...args, hostIds: await this.hostIdsOf(args.reservation) });
  }

  async onEnd(args: HookArgs): Promise<void> {
    await this.actions.onEnd({ ...args, hostIds: await this.hostIdsOf(args.reservation) });
  }

  async beforeEnd(args: HookArgs): Promise<void> {
    await this.actions.beforeEnd({ ...args, hostIds: await this.hostIdsOf(args.reservation) });
  }

  async beforeStart(): Promise<void> {}

  private async hostIdsOf(reservation: ReservationRecord): Promise<number[]> {
    return (await this.repos.hostAllocations.list({ reservationId: reservation.id })).map((a) => a.hostId);
  }

  /** The window a host must be free in: the lease's, widened by the cleaning time on both sides. */
  private widen(window: Window): Window {
    const c = minutes(this.options.cleaningTimeMinutes);
    return { start: new Date(window.start.getTime() - c), end: new Date(window.end.getTime() + c) };
  }

  /** Compiles both filters; an unknown `$key` is a 400 naming it. */
  private async conditions(tx: Tx | undefined, params: HostReservationParams): Promise<HostCondition[]> {
    const fields = ['hypervisor_properties', 'resource_properties'] as const;
    const exprs = fields.map((field) => parseFilter(params[field], field));
    // The known capability names are read only when a filter needs checking.
    const known = exprs.some((e) => e !== null) ? await this.repos.hosts.propertyNames(tx) : new Set<string>();
    return exprs.map((expr, i) => {
      if (expr) validateKeys(expr, fields[i], known);
      return compileFilterSql(expr, 'h');
    });
  }

  /** Up to `want` free hosts, lowest ids first, locked for this transaction (see HostAllocationRepository.claimFree). */
  private pick(tx: Tx, conditions: HostCondition[], window: Window, want: number, reservationId: string, exclude: number[]): Promise<number[]> {
    return this.repos.hostAllocations.claimFree(tx, {
      conditions, window: this.widen(window), ignoreReservationId: reservationId, excludeHostIds: exclude,
    }, want);
  }

  /**
   * The refusal of a change that would take hosts from a started reservation: which hosts, and why each (the other
   * lease holding it and from when, no longer reservable, or beyond a lowered max).
   */
  private async cannotKeep(tx: Tx, reservation: ReservationRecord, params: HostReservationParams, window: Window, oldEnd: Date,
    dropped: number[], stillFit: number[]): Promise<ConflictNamingLeases> {
    const blocked = dropped.filter((id) => !stillFit.includes(id));
    const why = await this.whyNotHeld(tx, reservation.id, window, blocked);
    const names = await this.hostNames(tx, dropped.filter((id) => stillFit.includes(id)));
    const beyondMax = names.map((host) => () => `host ${host} is beyond the new max of ${params.max}`);
    const what = window.end > oldEnd ? `extend the lease to ${window.end.toISOString()}` : 'change the hosts of a started lease';
    const cleaning = this.options.cleaningTimeMinutes > 0
      ? ` (hosts stay free ${this.options.cleaningTimeMinutes} minutes between leases: cleaning_time)` : '';
    return new ConflictNamingLeases('hosts_taken', (name) => `Cannot ${what}: `
      + `${[...why, ...beyondMax].map((w) => w(name)).join('; ')}${why.length ? cleaning : ''}. A started lease keeps the hosts it holds`);
  }

  /**
   * Why each of `hostIds` (held by the reservation) is not free in the window: the earliest other lease holding it
   * then, or that it is no longer reservable (or no longer matches), in words naming leases as `name` says.
   */
  private async whyNotHeld(tx: Tx, reservationId: string, window: Window, hostIds: number[]): Promise<((name: LeaseNamer) => string)[]> {
    if (!hostIds.length) return [];
    const bookings = await this.repos.hostAllocations.bookings(tx, hostIds, this.widen(window), reservationId);
    const hosts = await Promise.all(hostIds.map((id) => this.repos.hosts.get(id, tx)));
    return hostIds.map((id, i) => {
      const host = hosts[i];
      const label = host?.hypervisorHostname ?? String(id);
      const onHost = bookings.filter((b) => b.hostId === id);
      if (onHost.length) return bookingWords(label, onHost);
      if (host && !host.reservable) return () => `host ${label} is no longer reservable${host.status ? ` (status ${host.status})` : ''}`;
      return () => `host ${label} no longer matches the reservation's properties`;
    });
  }

  private async hostNames(tx: Tx, hostIds: number[]): Promise<string[]> {
    const hosts = await Promise.all(hostIds.map((id) => this.repos.hosts.get(id, tx)));
    return hosts.map((h, i) => h?.hypervisorHostname ?? String(hostIds[i]));
  }

  private async notEnough(tx: Tx, params: HostReservationParams, conditions: HostCondition[], window: Window, reservationId: string): Promise<NotEnoughResources> {
    const matching = await this.repos.hostAllocations.countMatching(tx, conditions);
    const free = (await this.repos.hostAllocations.findFree(tx, {
      conditions, window: this.widen(window), ignoreReservationId: reservationId,
    })).length;
    const filters = [params.hypervisor_properties, params.resource_properties].filter(Boolean);
    const what = filters.length ? ` matching ${filters.join(' and ')}` : '';
    return new NotEnoughResources(
      `Not enough hosts available: asked for ${params.min === params.max ? params.min : `${params.min} to ${params.max}`} host(s)${what} `
      + `from ${window.start.toISOString()} to ${window.end.toISOString()}; ${matching} reservable host(s) match, ${free} of them free then`);
  }
}
