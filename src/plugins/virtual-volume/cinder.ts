import type { Logger } from '../../common';
import type { LeaseRecord, Repositories } from '../../db';
import type { Notifier } from '../../notifications';
import type { CinderClient, CinderScope, CinderVolume } from '../../openstack';
import { recordStatus, type ActionStatus } from '../action-status';
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

/** Cinder reported a volume failing (status error or error_deleting, gone, or not ready in time): not a transient error. */
class VolumeFailure extends Error {}

/** What detaches a volume from a server: Nova (NovaClient). */
export interface VolumeDetacher {
  detachVolume(serverId: string, volumeId: string): Promise<void>;
}

/** Tokens acting as a lease's owner through its Keystone trust (LeaseTrusts in keystone mode). */
export interface OwnerTokens {
  tokenFor(trustId: string, options?: { fresh?: boolean }): Promise<{ token: string }>;
}

/**
 * Volume reservations in Cinder. At start, `amount` volumes are made in the lease owner's project, named
 * `reservation-<id>-<n>` with the reservation id in their metadata; those an earlier attempt made are found
 * by that metadata and reused, and one that ended in `error` is deleted and made again. Start waits (bounded)
 * until every volume is `available`; a volume turning `error` fails the event (its retry re-makes it). The ids
 * are recorded in the reservation's parameters. At end every volume of the reservation still attached is
 * detached (through Nova for a server's attachment: since CVE-2023-2088 Cinder refuses to remove an attachment a
 * server uses unless Nova asks, with its service token; Cinder's admin force-detach otherwise), waited for
 * (bounded) until detached, then deleted with its snapshots and waited for (bounded) until gone.
 *
 * Cinder (v3) takes the project of a new volume from the token, not from the path. So when the lease has a
 * Keystone trust (keystone mode), the calls that list, create, show and delete its volumes carry a token
 * scoped to that trust: they act as the owner, in the owner's project, within the owner's quota, and the
 * volumes are theirs. Only the detach at end (Nova's, or Cinder's admin force-detach), which the owner may not
 * take for every attachment, carries the service user's token. A lease without a trust (noauth mode, where no user token exists to delegate) is
 * served with the service user's token and the owner's project in the path: a Cinder without Keystone
 * (noauth) honours the path, a real one puts such volumes in the service user's project.
 *
 * The outcome is recorded in the reservation's `volumes_status` (`created`, `create_failed`, `deleted`,
 * `delete_failed`; the reason in `volumes_status_reason`) and announced with it
 * (`reservation.volume.<status>`), once per change. Failures are what Cinder reports (a volume in error, not
 * ready or not gone in time); a Cinder that does not answer only fails the event, which is retried.
 */
export class CinderVolumeActions implements VolumeActions {
  constructor(private readonly cinder: CinderClient, private readonly repos: Repositories, private readonly options: CinderVolumeOptions,
    private readonly logger: Logger, private readonly owner: OwnerTokens | null = null, private readonly notifier: Notifier | null = null,
    private readonly detacher: VolumeDetacher | null = null) {}

  async onStart(args: VolumeHookArgs): Promise<void> {
    const { lease, reservation } = args;
    try {
      const ids = await this.start(args);
      await this.status(lease, reservation.id, 'created', null, { volume_ids: ids });
    } catch (error) {
      if (error instanceof VolumeFailure) await this.status(lease, reservation.id, 'create_failed', error.message);
      throw error;
    }
  }

  async onEnd({ lease, reservation }: VolumeHookArgs): Promise<void> {
    let deleted: string[];
    try {
      deleted = await this.end(lease, reservation.id, reservation.params);
    } catch (error) {
      if (error instanceof VolumeFailure) await this.status(lease, reservation.id, 'delete_failed', error.message);
      throw error;
    }
    await this.status(lease, reservation.id, 'deleted', null, {}, { details: { volume_ids: deleted }, onlyIfRecorded: !deleted.length });
  }

  private status(lease: LeaseRecord, reservationId: string, status: ActionStatus, reason: string | null, fields: Record<string, unknown> = {},
    more: { details?: Record<string, unknown>; onlyIfRecorded?: boolean } = {}): Promise<void> {
    return recordStatus(this.repos, this.notifier, { lease, reservationId, kind: 'volume', status, reason, fields, ...more });
  }

  /** Makes (or finds) the volumes and waits until they are available; returns their ids. */
  private async start({ lease, reservation, pool }: VolumeHookArgs): Promise<string[]> {
    const params = reservation.params as VolumeReservationParams;
    const project = await this.scope(lease);
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
    const as = project.token === undefined ? 'with the service token' : 'as the lease owner (trust)';
    this.logger.info(`reservation ${reservation.id}: ${ids.length} volume(s) of ${params.size_gb} GiB available in project `
      + `${project.projectId} (made ${as})`, { lease_id: lease.id });
    return ids;
  }

  /** Deletes every volume of the reservation and waits until they are gone; returns their ids. */
  private async end(lease: LeaseRecord, reservationId: string, params: Record<string, unknown>): Promise<string[]> {
    const project = await this.scope(lease);
    const listed = await this.cinder.listVolumes(project, { [VOLUME_RESERVATION_KEY]: reservationId });
    const recorded = Array.isArray(params.volume_ids) ? (params.volume_ids as string[]) : [];
    const volumes = [...listed];
    for (const id of recorded) {
      if (volumes.some((v) => v.id === id)) continue;
      const v = await this.cinder.getVolume(project, id);
      if (v) volumes.push(v);
    }
    await this.deleteAndWait(project, volumes);
    this.logger.info(`reservation ${reservationId}: ${volumes.length} volume(s) deleted`, { lease_id: lease.id });
    return volumes.map((v) => v.id);
  }

  /** The lease owner's token when the lease has a trust, else the service user's (see the class comment). */
  private async scope(lease: LeaseRecord): Promise<CinderScope> {
    const { owner } = this;
    const trustId = lease.trustId;
    if (!trustId || !owner) return { projectId: lease.projectId };
    return {
      projectId: lease.projectId,
      token: (await owner.tokenFor(trustId)).token,
      refreshToken: async () => (await owner.tokenFor(trustId, { fresh: true })).token,
    };
  }

  private pollMs(): number {
    return this.options.volumePollMs ?? Math.min(1000, Math.max(10, Math.floor(this.options.volumeTimeoutMs / 20)));
  }

  private async deleteAndWait(project: CinderScope, volumes: CinderVolume[]): Promise<void> {
    const attached = volumes.filter((v) => v.status !== 'deleting' && (v.status === 'in-use' || v.attachments?.length));
    for (const v of attached) await this.detach(project, v);
    if (attached.length) await this.waitDetached(project, attached.map((v) => v.id));
    for (const v of volumes) {
      if (v.status !== 'deleting') await this.cinder.deleteVolume(project, v.id);
    }
    const deadline = Date.now() + this.options.volumeTimeoutMs;
    let left = volumes.map((v) => v.id);
    for (;;) {
      const still: string[] = [];
      for (const id of left) {
        const v = await this.cinder.getVolume(project, id);
        if (!v) continue;
        if (v.status === 'error_deleting') throw new VolumeFailure(`Cinder could not delete volume ${id} (status error_deleting)`);
        still.push(id);
      }
      left = still;
      if (!left.length) return;
      if (Date.now() >= deadline) {
        throw new VolumeFailure(`volume(s) ${left.join(', ')} still not deleted after ${this.options.volumeTimeoutMs / 1000} s`);
      }
      await sleep(this.pollMs());
    }
  }

  /**
   * Detaches a volume: through Nova from each server holding it (Nova's calls go with the service user's token),
   * else with Cinder's admin force-detach (the service user's token too, whoever the other calls act as).
   */
  private async detach(project: CinderScope, v: CinderVolume): Promise<void> {
    const servers = (v.attachments ?? []).map((a) => a.server_id).filter((id): id is string => !!id);
    if (!servers.length || !this.detacher) {
      await this.cinder.forceDetach(project.projectId, v.id);
      return;
    }
    for (const server of servers) await this.detacher.detachVolume(server, v.id);
  }

  /** Waits (bounded) until the volumes are neither attached nor detaching (gone is fine). */
  private async waitDetached(project: CinderScope, ids: string[]): Promise<void> {
    const deadline = Date.now() + this.options.volumeTimeoutMs;
    for (;;) {
      const busy: string[] = [];
      for (const id of ids) {
        const v = await this.cinder.getVolume(project, id);
        if (v && (['in-use', 'detaching', 'attaching'].includes(v.status) || v.attachments?.length)) busy.push(`${id} (${v.status})`);
      }
      if (!busy.length) return;
      if (Date.now() >= deadline) throw new VolumeFailure(`volume(s) ${busy.join(', ')} still attached after ${this.options.volumeTimeoutMs / 1000} s`);
      await sleep(this.pollMs());
    }
  }

  private async waitAvailable(project: CinderScope, ids: string[], reservationId: string): Promise<void> {
    const deadline = Date.now() + this.options.volumeTimeoutMs;
    for (;;) {
      const pending: string[] = [];
      for (const id of ids) {
        const v = await this.cinder.getVolume(project, id);
        if (!v) throw new VolumeFailure(`volume ${id} of reservation ${reservationId} disappeared while being created`);
        if (v.status === 'error') throw new VolumeFailure(`Cinder failed to create volume ${id} of reservation ${reservationId} (status error)`);
        if (v.status !== 'available' && v.status !== 'in-use') pending.push(`${id} (${v.status})`);
      }
      if (!pending.length) return;
      if (Date.now() >= deadline) {
        throw new VolumeFailure(`volume(s) ${pending.join(', ')} of reservation ${reservationId} not available after `
          + `${this.options.volumeTimeoutMs / 1000} s`);
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
