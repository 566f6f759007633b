import { InvalidState, NotEnoughResources } from '../../common';
import type { PoolFree, Repositories, ReservationRecord, Tx, Window } from '../../db';
import { lifecycleActionsOf } from '../lifecycle-actions';
import type { AvailabilityPlanner, AvailabilityQuery, HookArgs, ResourcePlugin } from '../types';
import type { VolumeActions, VolumeHookArgs } from './actions';
import { VolumeAvailability } from './availability';
import { parseVolumeParams, updateVolumeParams, type VolumeReservationParams } from './params';

export const VIRTUAL_VOLUME = 'virtual:volume';

const need = (p: VolumeReservationParams) => p.amount * p.size_gb;

/**
 * Block storage for the lease window: `amount` volumes of `size_gb` GiB, all on one registered pool (one
 * pool per reservation: the volumes share a backend and a type, and the allocation is one row). A pool's free
 * space is its capacity minus the peak of what overlapping reservations hold, computed by one set-based
 * query. The chosen pool's row is locked (SKIP LOCKED first, so concurrent requests spread over pools; pools
 * others hold are waited for only when nothing else fits) and its free space read again after the lock, so
 * two concurrent requests never overcommit a pool (on SQLite the single writer gives the same guarantee).
 */
export class VirtualVolumePlugin implements ResourcePlugin {
  readonly resourceType = VIRTUAL_VOLUME;
  /** Acts as the lease's owner: the volumes are made in the owner's project with the owner's trust-scoped token (cinder.ts). */
  readonly actsAsOwner = true;

  constructor(private readonly repos: Repositories, private readonly actions: VolumeActions) {}

  async validate(raw: Record<string, unknown>): Promise<VolumeReservationParams> {
    return parseVolumeParams(raw);
  }

  async validateUpdate(current: Record<string, unknown>, changes: Record<string, unknown>, started: boolean): Promise<VolumeReservationParams> {
    return updateVolumeParams(current as VolumeReservationParams, changes, started);
  }

  async allocate(tx: Tx, reservation: ReservationRecord, window: Window): Promise<void> {
    const params = reservation.params as VolumeReservationParams;
    const poolId = await this.place(tx, params, window, reservation.id, null);
    await this.repos.volumePools.insertAllocation(tx, {
      reservationId: reservation.id, leaseId: reservation.leaseId, poolId, amount: params.amount, sizeGb: params.size_gb,
    }, window);
  }

  async planAvailability(tx: Tx | undefined, raw: Record<string, unknown>, query: AvailabilityQuery): Promise<AvailabilityPlanner> {
    const params = raw as VolumeReservationParams;
    const { pools, bookings } = await this.repos.volumePools.timeline(tx, params.volume_type ?? undefined, { start: query.from, end: query.to });
    return new VolumeAvailability(pools, bookings, params, query);
  }

  async reallocate(tx: Tx, reservation: ReservationRecord, window: Window, started: boolean): Promise<void> {
    const params = reservation.params as VolumeReservationParams;
    const pools = this.repos.volumePools;
    const [held] = await pools.allocations({ reservationId: reservation.id }, tx);
    let poolId: string;
    if (started && held) {
      // The volumes exist on this pool: it must keep their space in the new window.
      await pools.lockPools(tx, [held.poolId]);
      const [free] = await pools.free(tx, { window, ignoreReservationId: reservation.id, onlyPoolIds: [held.poolId] });
      if (!free || free.freeGb < need(params)) {
        throw new InvalidState(`Cannot move a started virtual:volume reservation to ${window.start.toISOString()} - `
          + `${window.end.toISOString()}: pool ${held.poolId} would not keep its ${need(params)} GiB (${Math.max(0, free?.freeGb ?? 0)} GiB free then)`);
      }
      poolId = held.poolId;
    } else {
      poolId = await this.place(tx, params, window, reservation.id, held?.poolId ?? null);
    }
    await pools.removeReservation(tx, reservation.id);
    await pools.insertAllocation(tx, {
      reservationId: reservation.id, leaseId: reservation.leaseId, poolId, amount: params.amount, sizeGb: params.size_gb,
    }, window);
  }

  async release(tx: Tx, reservation: ReservationRecord): Promise<void> {
    await this.repos.volumePools.removeReservation(tx, reservation.id);
  }

  describe(reservation: ReservationRecord): Record<string, unknown> {
    const ids = reservation.params.volume_ids;
    return { volume_ids: Array.isArray(ids) ? ids : [], ...lifecycleActionsOf(reservation.params) };
  }

  async onStart(args: HookArgs): Promise<void> {
    await this.actions.onStart(await this.hookArgs(args));
  }

  async onEnd(args: HookArgs): Promise<void> {
    await this.actions.onEnd(await this.hookArgs(args));
  }

  async beforeEnd(): Promise<void> {}

  async beforeStart(): Promise<void> {}

  private async hookArgs(args: HookArgs): Promise<VolumeHookArgs> {
    const [allocation] = await this.repos.volumePools.allocations({ reservationId: args.reservation.id });
    const pool = allocation ? await this.repos.volumePools.get(allocation.poolId) : null;
    return { ...args, allocation: allocation ?? null, pool };
  }

  /**
   * The pool for the reservation, `preferred` (the one it holds) first, then by name; its row locked and its
   * free space read after the lock. Throws NotEnoughResources when no pool has room.
   */
  private async place(tx: Tx, params: VolumeReservationParams, window: Window, reservationId: string, preferred: string | null): Promise<string> {
    const pools = this.repos.volumePools;
    const sqlite = this.repos.db.dialect === 'sqlite';
    const query = { window, volumeType: params.volume_type ?? undefined, ignoreReservationId: reservationId };
    const tried = new Set<string>();
    const busy: string[] = [];
    const fits = (f: PoolFree) => f.freeGb >= need(params);
    const recheck = async (poolId: string) => {
      const [after] = await pools.free(tx, { ...query, onlyPoolIds: [poolId] });
      return after !== undefined && fits(after);
    };
    for (;;) {
      const all = await pools.free(tx, query);
      const candidates = all.filter((f) => fits(f) && !tried.has(f.poolId))
        .sort((a, b) => Number(b.poolId === preferred) - Number(a.poolId === preferred) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      if (!candidates.length) break;
      const pick = candidates[0].poolId;
      if (sqlite) return pick;
      tried.add(pick);
      const locked = await pools.lockPools(tx, [pick], { skipLocked: true });
      if (!locked.length) { busy.push(pick); continue; }
      if (await recheck(pick)) return pick;
    }
    // Pools other transactions held: wait for them (locked in id order) and take the first with room once they commit.
    if (busy.length) {
      await pools.lockPools(tx, busy);
      for (const poolId of busy) if (await recheck(poolId)) return poolId;
    }
    throw await this.notEnough(tx, params, window, reservationId);
  }

  private async notEnough(tx: Tx, params: VolumeReservationParams, window: Window, reservationId: string): Promise<NotEnoughResources> {
    const free = await this.repos.volumePools.free(tx, { window, volumeType: params.volume_type ?? undefined, ignoreReservationId: reservationId });
    const most = free.reduce((n, f) => Math.max(n, f.freeGb), 0);
    const total = free.reduce((n, f) => n + Math.max(0, f.freeGb), 0);
    const type = params.volume_type ? ` of volume type ${params.volume_type}` : '';
    return new NotEnoughResources(
      `Not enough capacity for virtual:volume: asked for ${params.amount} volume(s) of ${params.size_gb} GiB (${need(params)} GiB on one pool)`
      + `${type} from ${window.start.toISOString()} to ${window.end.toISOString()}; ${free.length} pool(s)${type}, `
      + `at most ${most} GiB free on one of them (${total} GiB free in all) then`);
  }
}
