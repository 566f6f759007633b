import type { Logger } from '../../common';
import type { Repositories } from '../../db';
import type { CinderClient, CinderVolume } from '../../openstack';
import type { VolumeActions, VolumeHookArgs } from './actions';
import type { VolumeReservationParams } from './params';

/** Volume metadata naming the reservation a volume was made for. */
export const VOLUME_RESERVATION_KEY = 'climate:reservation_id';
/** The name of the n-th volume (1-based) of a reservation: deterministic, so a retried start finds it. */
export const reservationVolumeName = (reservationId: string, n: number) => `reservation-${reservationId}-${n}`;

export interface CinderVolumeOptions {
  /** How long start waits for new volumes to become available, and end for deleted ones to be gone. */
  volumeTimeoutMs: number;
  /** Between two status reads; default a twentieth of the timeout, between 10 ms and 1 s. */
  volumePollMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Volume reservations in Cinder. At start, `amount` volumes are made in the lease owner's project, named
 * `reservation-<id>-<n>` with the reservation id in their metadata; those an earlier attempt made are found
 * by that metadata and reused, and one that ended in `error` is deleted and made again. Start waits (bounded)
 * until every volume is `available`; a volume turning `error` fails the event (its retry re-makes it). The ids
 * are recorded in the reservation's parameters. At end every volume of the reservation is force-detached if
 * attached, deleted with its snapshots, and waited for (bounded) until gone.
 *
 * Calls carry the service user's token with the owner's project in the path. Cinder (v3) takes the project
 * of a new volume from the token, not the path, so against a real Cinder the volumes land in the service
 * user's project until calls use a token scoped to the owner's project (the lease trust): a known limit.
 */
export class CinderVolumeActions implements VolumeActions {
  constructor(private readonly cinder: CinderClient, private readonly repos: Repositories, private readonly options: CinderVolumeOptions,
    private readonly logger: Logger) {}

  async onStart({ lease, reservation, pool }: VolumeHookArgs): Promise<void> {
    const params = reservation.params as VolumeReservationParams;
    const project = lease.projectId;
    const volumeType = params.volume_type ?? pool?.volumeType ?? null;
    const existing = await this.cinder.listVolumes(project, { [VOLUME_RESERVATION_KEY]: reservation.id });
    const ids: string[] = [];
    const handled: CinderVolume[] = [];
    for (let n = 1; n <= params.amount; n++) {
      const name = reservationVolumeName(reservation.id, n);
      const found = existing.filter((v) => v.name === name);
      const usable = found.find((v) => !['error', 'deleting', 'error_deleting'].includes(v.status));
      // Besides the one kept: failed ones, and duplicates of a name (two attempts' creates both went through).
      const broken = found.filter((v) => v !== usable);
      if (broken.length) await this.deleteAndWait(project, broken);
      handled.push(...found);
      if (usable) { ids.push(usable.id); continue; }
      const made = await this.cinder.createVolume(project, {
        size: params.size_gb, name, volumeType, metadata: { [VOLUME_RESERVATION_KEY]: reservation.id },
      });
      ids.push(made.id);
    }
    // Duplicates, and volumes beyond `amount` (an earlier attempt before an update): not the reservation's.
    const extra = existing.filter((v) => !handled.includes(v));
    if (extra.length) await this.deleteAndWait(project, extra);
    await this.record(reservation.leaseId, reservation.id, ids);
    await this.waitAvailable(project, ids, reservation.id);
    this.logger.info(`reservation ${reservation.id}: ${ids.length} volume(s) of ${params.size_gb} GiB available`, { lease_id: lease.id });
  }

  async onEnd({ lease, reservation }: VolumeHookArgs): Promise<void> {
    const project = lease.projectId;
    const listed = await this.cinder.listVolumes(project, { [VOLUME_RESERVATION_KEY]: reservation.id });
    const recorded = Array.isArray(reservation.params.volume_ids) ? (reservation.params.volume_ids as string[]) : [];
    const volumes = [...listed];
    for (const id of recorded) {
      if (volumes.some((v) => v.id === id)) continue;
      const v = await this.cinder.getVolume(project, id);
      if (v) volumes.push(v);
    }
    await this.deleteAndWait(project, volumes);
    this.logger.info(`reservation ${reservation.id}: ${volumes.length} volume(s) deleted`, { lease_id: lease.id });
  }

  private pollMs(): number {
    return this.options.volumePollMs ?? Math.min(1000, Math.max(10, Math.floor(this.options.volumeTimeoutMs / 20)));
  }

  private async deleteAndWait(project: string, volumes: CinderVolume[]): Promise<void> {
    for (const v of volumes) {
      if (v.status === 'deleting') continue;
      if (v.status === 'in-use' || v.attachments?.length) await this.cinder.forceDetach(project, v.id);
      await this.cinder.deleteVolume(project, v.id);
    }
    const deadline = Date.now() + this.options.volumeTimeoutMs;
    let left = volumes.map((v) => v.id);
    for (;;) {
      const still: string[] = [];
      for (const id of left) {
        const v = await this.cinder.getVolume(project, id);
        if (!v) continue;
        if (v.status === 'error_deleting') throw new Error(`Cinder could not delete volume ${id} (status error_deleting)`);
        still.push(id);
      }
      left = still;
      if (!left.length) return;
      if (Date.now() >= deadline) {
        throw new Error(`volume(s) ${left.join(', ')} still not deleted after ${this.options.volumeTimeoutMs / 1000} s`);
      }
      await sleep(this.pollMs());
    }
  }

  private async waitAvailable(project: string, ids: string[], reservationId: string): Promise<void> {
    const deadline = Date.now() + this.options.volumeTimeoutMs;
    for (;;) {
      const pending: string[] = [];
      for (const id of ids) {
        const v = await this.cinder.getVolume(project, id);
        if (!v) throw new Error(`volume ${id} of reservation ${reservationId} disappeared while being created`);
        if (v.status === 'error') throw new Error(`Cinder failed to create volume ${id} of reservation ${reservationId} (status error)`);
        if (v.status !== 'available' && v.status !== 'in-use') pending.push(`${id} (${v.status})`);
      }
      if (!pending.length) return;
      if (Date.now() >= deadline) {
        throw new Error(`volume(s) ${pending.join(', ')} of reservation ${reservationId} not available after ${this.options.volumeTimeoutMs / 1000} s`);
      }
      await sleep(this.pollMs());
    }
  }

  private async record(leaseId: string, reservationId: string, ids: string[]): Promise<void> {
    await this.repos.db.transaction(async (tx) => {
      await this.repos.leases.getForUpdate(tx, leaseId);
      const current = await this.repos.reservations.get(reservationId, tx);
      if (!current) return;
      const p = current.params;
      if (JSON.stringify(p.volume_ids) === JSON.stringify(ids)) return;
      await this.repos.reservations.updateParams(tx, reservationId, { ...p, volume_ids: ids }, current.updatedAt ?? current.createdAt);
    });
  }
}
