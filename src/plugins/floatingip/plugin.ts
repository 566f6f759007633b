import { InvalidInput, InvalidState, NotEnoughResources } from '../../common';
import type { FreeFloatingIp, Repositories, ReservationRecord, Tx, Window } from '../../db';
import { lifecycleActionsOf } from '../lifecycle-actions';
import type { AvailabilityPlanner, AvailabilityQuery, HookArgs, ResourcePlugin } from '../types';
import type { FloatingIpActions, HeldFloatingIp } from './actions';
import { FloatingIpAvailability } from './availability';
import { parseFloatingIpParams, updateFloatingIpParams, type FloatingIpReservationParams } from './params';

export const VIRTUAL_FLOATINGIP = 'virtual:floatingip';

/**
 * Registered floating IPs of one external network for the lease window: the required addresses plus the
 * lowest-id free ones. Candidates are read by one set-based query, their floatingips rows locked in id order
 * and read again, so two concurrent requests never get the same address (on SQLite the single writer gives
 * the same guarantee). The addresses held are copied into the reservation's parameters (`floatingips`), so
 * the reservation view shows them without another query.
 */
export class FloatingIpPlugin implements ResourcePlugin {
  readonly resourceType = VIRTUAL_FLOATINGIP;
  /** Does not act as the lease's owner: Neutron with Climate's service token (an admin-only fixed address; see neutron.ts). */
  readonly actsAsOwner = false;

  constructor(private readonly repos: Repositories, private readonly actions: FloatingIpActions) {}

  async validate(raw: Record<string, unknown>): Promise<FloatingIpReservationParams> {
    return parseFloatingIpParams(raw);
  }

  async validateUpdate(current: Record<string, unknown>, changes: Record<string, unknown>, started: boolean): Promise<FloatingIpReservationParams> {
    return updateFloatingIpParams(current as FloatingIpReservationParams, changes, started);
  }

  async allocate(tx: Tx, reservation: ReservationRecord, window: Window): Promise<void> {
    const params = reservation.params as FloatingIpReservationParams;
    const required = await this.requiredIps(tx, params);
    const requiredFree = await this.lockAndCheck(tx, params, required, window, reservation.id);
    const extra = await this.pick(tx, params.network_id, window, params.amount - required.length, reservation.id,
      required.map((ip) => ip.id));
    if (requiredFree.length + extra.length < params.amount) throw await this.notEnough(tx, params, window, reservation.id);
    const held = [...required, ...extra];
    await this.repos.floatingIpAllocations.insert(tx, reservation.id, reservation.leaseId, held.map((ip) => ip.id), window);
    await this.record(tx, reservation, held);
  }

  async planAvailability(tx: Tx | undefined, raw: Record<string, unknown>, query: AvailabilityQuery): Promise<AvailabilityPlanner> {
    const params = raw as FloatingIpReservationParams;
    const required = await this.requiredIps(tx, params);
    const { ips, bookings } = await this.repos.floatingIpAllocations.timeline(tx, params.network_id, { start: query.from, end: query.to });
    return new FloatingIpAvailability(ips, bookings, required, params.amount, query);
  }

  async reallocate(tx: Tx, reservation: ReservationRecord, window: Window, started: boolean): Promise<void> {
    const params = reservation.params as FloatingIpReservationParams;
    const allocations = this.repos.floatingIpAllocations;
    const held = await allocations.list({ reservationId: reservation.id }, tx);
    const heldIds = held.map((a) => a.floatingipId);
    const required = await this.requiredIps(tx, params);
    await this.lockAndCheck(tx, params, required, window, reservation.id);
    const requiredIds = new Set(required.map((ip) => ip.id));
    const others = heldIds.filter((id) => !requiredIds.has(id));
    await allocations.lock(tx, others);
    const stillFit = await allocations.findFree(tx, {
      networkId: params.network_id, window, ignoreReservationId: reservation.id, onlyIds: others,
    });
    const keep = stillFit.slice(0, params.amount - required.length);
    const keptIds = new Set([...requiredIds, ...keep.map((ip) => ip.id)]);
    const dropped = held.filter((a) => !keptIds.has(a.floatingipId));
    if (started && dropped.length) {
      throw new InvalidState(`Cannot remove floating IPs from a reservation whose lease has started (${dropped.map((a) => a.floatingIpAddress).join(', ')} `
        + 'would no longer fit the new amount or dates)');
    }
    const want = params.amount - required.length - keep.length;
    const extra = await this.pick(tx, params.network_id, window, want, reservation.id, [...heldIds, ...requiredIds]);
    if (extra.length < want) throw await this.notEnough(tx, params, window, reservation.id);
    const missingRequired = required.filter((ip) => !heldIds.includes(ip.id)).map((ip) => ip.id);
    await allocations.removeIps(tx, reservation.id, dropped.map((a) => a.floatingipId));
    await allocations.moveReservation(tx, reservation.id, window);
    await allocations.insert(tx, reservation.id, reservation.leaseId, [...missingRequired, ...extra.map((ip) => ip.id)], window);
    await this.record(tx, reservation, [...required, ...keep, ...extra]);
  }

  async release(tx: Tx, reservation: ReservationRecord): Promise<void> {
    await this.repos.floatingIpAllocations.removeReservation(tx, reservation.id);
  }

  describe(reservation: ReservationRecord): Record<string, unknown> {
    const held = (reservation.params as Partial<FloatingIpReservationParams>).floatingips;
    return { floatingips: Array.isArray(held) ? held : [], ...lifecycleActionsOf(reservation.params) };
  }

  async onStart(args: HookArgs): Promise<void> {
    await this.actions.onStart({ ...args, floatingIps: await this.heldBy(args.reservation) });
  }

  async onEnd(args: HookArgs): Promise<void> {
    await this.actions.onEnd({ ...args, floatingIps: await this.heldBy(args.reservation) });
  }

  async beforeEnd(): Promise<void> {}

  async beforeStart(): Promise<void> {}

  private async heldBy(reservation: ReservationRecord): Promise<HeldFloatingIp[]> {
    return (await this.repos.floatingIpAllocations.list({ reservationId: reservation.id }))
      .map((a) => ({ floatingNetworkId: a.floatingNetworkId, floatingIpAddress: a.floatingIpAddress }));
  }

  /** Stores the addresses held in the reservation's parameters (and in the record the caller renders). */
  private async record(tx: Tx, reservation: ReservationRecord, held: FreeFloatingIp[]): Promise<void> {
    const params = reservation.params as FloatingIpReservationParams;
    params.floatingips = held.map((ip) => ip.address);
    await this.repos.reservations.updateParams(tx, reservation.id, params, reservation.updatedAt ?? reservation.createdAt);
  }

  /** The required addresses as registered IPs of the network; an unknown one is a 400 naming it. */
  private async requiredIps(tx: Tx | undefined, params: FloatingIpReservationParams): Promise<FreeFloatingIp[]> {
    const out: FreeFloatingIp[] = [];
    for (const address of params.required_floatingips) {
      const ip = await this.repos.floatingIps.findByAddress(params.network_id, address, tx);
      if (!ip || !ip.reservable) {
        throw new InvalidInput(`Invalid input for field/attribute required_floatingips: ${address} is not a reservable floating IP `
          + `registered on network ${params.network_id}`);
      }
      out.push({ id: ip.id, address: ip.floatingIpAddress });
    }
    return out;
  }

  /** Locks the required IPs (waiting for them) and checks they are free in the window. */
  private async lockAndCheck(tx: Tx, params: FloatingIpReservationParams, required: FreeFloatingIp[], window: Window, reservationId: string): Promise<FreeFloatingIp[]> {
    if (!required.length) return [];
    const allocations = this.repos.floatingIpAllocations;
    await allocations.lock(tx, required.map((ip) => ip.id));
    const free = await allocations.findFree(tx, {
      networkId: params.network_id, window, ignoreReservationId: reservationId, onlyIds: required.map((ip) => ip.id),
    });
    const taken = required.filter((ip) => !free.some((f) => f.id === ip.id));
    if (taken.length) {
      throw new NotEnoughResources(`Not enough floating IPs available: required floating IP(s) ${taken.map((ip) => ip.address).join(', ')} `
        + `on network ${params.network_id} are reserved from ${window.start.toISOString()} to ${window.end.toISOString()}`);
    }
    return required;
  }

  /**
   * Up to `want` free IPs of the network, lowest ids first, locked: candidates are read, locked in id order
   * (skipping rows another transaction holds) and read again; only when the rest falls short are the skipped
   * rows waited for.
   */
  private async pick(tx: Tx, networkId: string, window: Window, want: number, reservationId: string, exclude: string[]): Promise<FreeFloatingIp[]> {
    const allocations = this.repos.floatingIpAllocations;
    const chosen: FreeFloatingIp[] = [];
    const skip = [...exclude];
    const busy: string[] = [];
    const take = async (candidates: string[], skipLocked: boolean) => {
      const locked = await allocations.lock(tx, candidates, { skipLocked });
      busy.push(...candidates.filter((id) => !locked.includes(id)));
      const free = await allocations.findFree(tx, { networkId, window, ignoreReservationId: reservationId, onlyIds: locked });
      chosen.push(...free.slice(0, want - chosen.length));
    };
    while (chosen.length < want) {
      const candidates = await allocations.findFree(tx, {
        networkId, window, ignoreReservationId: reservationId, excludeIds: skip, limit: want - chosen.length,
      });
      if (!candidates.length) break;
      skip.push(...candidates.map((c) => c.id));
      await take(candidates.map((c) => c.id), true);
    }
    if (chosen.length < want && busy.length) await take(busy.splice(0), false);
    return chosen.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  private async notEnough(tx: Tx, params: FloatingIpReservationParams, window: Window, reservationId: string): Promise<NotEnoughResources> {
    const allocations = this.repos.floatingIpAllocations;
    const registered = await allocations.countOnNetwork(tx, params.network_id);
    const free = await allocations.findFree(tx, { networkId: params.network_id, window, ignoreReservationId: reservationId });
    const required = params.required_floatingips.length ? ` including ${params.required_floatingips.join(', ')}` : '';
    return new NotEnoughResources(
      `Not enough floating IPs available: asked for ${params.amount} floating IP(s) on network ${params.network_id}${required} `
      + `from ${window.start.toISOString()} to ${window.end.toISOString()}; ${registered} reservable floating IP(s) registered on it, `
      + `${free.length} of them free then${free.length ? ` (${free.slice(0, 20).map((ip) => ip.address).join(', ')}${free.length > 20 ? ', ...' : ''})` : ''}`);
  }
}
