import type { Logger } from '../../common';
import type { LeaseRecord, Repositories } from '../../db';
import type { Notifier } from '../../notifications';
import { isStatus, OpenStackHttpError, type NeutronClient, type NeutronFloatingIp } from '../../openstack';
import { recordStatus, type ActionStatus } from '../action-status';
import type { FloatingIpActions, HeldFloatingIp } from './actions';
import type { HookArgs } from '../types';

/** The tag (and description) a floating IP created for a reservation carries. */
export const reservationTag = (reservationId: string) => `reservation:${reservationId}`;

/** A floating IP Climate created for this reservation: marked by its description (set atomically at creation) or tag. */
function isFor(ip: NeutronFloatingIp, tag: string): boolean {
  return ip.description === tag || (ip.tags ?? []).includes(tag);
}

/**
 * [compute] driver = nova: at start each held address is created as a floating IP in the lease owner's project
 * (as admin) and tagged with the reservation; at end it is disassociated and deleted. Both are idempotent: an
 * address is looked up before it is created, and only floating IPs marked with the reservation are removed.
 *
 * Unlike Cinder (see CinderVolumeActions), Neutron takes the owner's project from `project_id` in the body
 * when an admin sends it, so the service user's token is right here, with or without a lease trust. It is also
 * required: choosing the address (`floating_ip_address`) is an admin action by Neutron's default policy
 * (create_floatingip:floating_ip_address), which the owner's trust-scoped member token would be refused.
 *
 * With `recording`, the outcome is recorded in the reservation's `floatingips_status` (`created` with the
 * Neutron ids in `floatingip_ids`, `create_failed` when an address is held in Neutron by someone else,
 * `deleted`, `delete_failed` when Neutron refuses a deletion; the reason in `floatingips_status_reason`) and
 * announced with it (`reservation.floatingip.<status>`), once per change.
 */
export class NeutronFloatingIpActions implements FloatingIpActions {
  constructor(private readonly neutron: NeutronClient, private readonly logger: Logger,
    private readonly recording: { repos: Repositories; notifier: Notifier | null } | null = null) {}

  async onStart(args: HookArgs & { floatingIps: HeldFloatingIp[] }): Promise<void> {
    const tag = reservationTag(args.reservation.id);
    const ids: string[] = [];
    try {
      for (const held of args.floatingIps) {
        const ip = await this.ensureCreated(held, tag, args.lease.projectId);
        if (!(ip.tags ?? []).includes(tag)) await this.neutron.addFloatingIpTag(ip.id, tag);
        ids.push(ip.id);
      }
    } catch (error) {
      if (error instanceof FloatingIpInUse) await this.status(args.lease, args.reservation.id, 'create_failed', error.message);
      throw error;
    }
    await this.status(args.lease, args.reservation.id, 'created', null, { floatingip_ids: ids });
  }

  async onEnd(args: HookArgs & { floatingIps: HeldFloatingIp[] }): Promise<void> {
    let deleted: string[];
    try {
      deleted = await this.end(args);
    } catch (error) {
      // Neutron refused (4xx): news for the owner. Not answering (5xx, timeouts) only fails the event, which is retried.
      if (error instanceof OpenStackHttpError) await this.status(args.lease, args.reservation.id, 'delete_failed', error.message);
      throw error;
    }
    await this.status(args.lease, args.reservation.id, 'deleted', null, {},
      { details: { floatingip_ids: deleted }, onlyIfRecorded: !deleted.length });
  }

  private async status(lease: LeaseRecord, reservationId: string, status: ActionStatus, reason: string | null,
    fields: Record<string, unknown> = {}, more: { details?: Record<string, unknown>; onlyIfRecorded?: boolean } = {}): Promise<void> {
    if (!this.recording) return;
    const { repos, notifier } = this.recording;
    await recordStatus(repos, notifier, { lease, reservationId, kind: 'floatingip', status, reason, fields, ...more });
  }

  /** Disassociates and deletes the reservation's floating IPs; returns the ids of those it deleted. */
  private async end(args: HookArgs & { floatingIps: HeldFloatingIp[] }): Promise<string[]> {
    const tag = reservationTag(args.reservation.id);
    const deleted: string[] = [];
    for (const held of args.floatingIps) {
      for (const ip of await this.neutron.findFloatingIps(held.floatingNetworkId, held.floatingIpAddress)) {
        if (!isFor(ip, tag)) {
          this.logger.warning(`floating IP ${held.floatingIpAddress} (${ip.id}) belongs to project ${ip.project_id}, not to `
            + `reservation ${args.reservation.id}: left alone`, { lease_id: args.lease.id });
          continue;
        }
        if (ip.port_id) {
          try {
            await this.neutron.disassociateFloatingIp(ip.id);
          } catch (error) {
            if (!isStatus(error, 404)) throw error;
          }
        }
        await this.neutron.deleteFloatingIp(ip.id);
        deleted.push(ip.id);
        this.logger.info(`floating IP ${held.floatingIpAddress} (${ip.id}) of reservation ${args.reservation.id} deleted`,
          { lease_id: args.lease.id });
      }
    }
    return deleted;
  }

  private async ensureCreated(held: HeldFloatingIp, tag: string, projectId: string): Promise<NeutronFloatingIp> {
    const existing = await this.neutron.findFloatingIps(held.floatingNetworkId, held.floatingIpAddress);
    const mine = existing.find((ip) => isFor(ip, tag));
    if (mine) return mine;
    if (existing.length) throw inUse(held, existing[0]);
    try {
      const ip = await this.neutron.createFloatingIp({
        floatingNetworkId: held.floatingNetworkId, floatingIpAddress: held.floatingIpAddress, projectId, description: tag,
      });
      this.logger.info(`floating IP ${held.floatingIpAddress} (${ip.id}) created in project ${projectId} for ${tag}`);
      return ip;
    } catch (error) {
      if (!isStatus(error, 409)) throw error;
      // Taken meanwhile: by an earlier attempt of ours whose answer was lost, or by someone else.
      const now = await this.neutron.findFloatingIps(held.floatingNetworkId, held.floatingIpAddress);
      const ours = now.find((ip) => isFor(ip, tag));
      if (ours) return ours;
      throw now.length ? inUse(held, now[0]) : new FloatingIpInUse(`Neutron refused floating IP ${held.floatingIpAddress} on network `
        + `${held.floatingNetworkId}: address in use (${error instanceof Error ? error.message : String(error)})`, { cause: error });
    }
  }
}

/** The address is held in Neutron by someone else: the start cannot make it the reservation's. */
class FloatingIpInUse extends Error {}

function inUse(held: HeldFloatingIp, ip: NeutronFloatingIp): Error {
  return new FloatingIpInUse(`Floating IP ${held.floatingIpAddress} on network ${held.floatingNetworkId} is in use in Neutron `
    + `(floating IP ${ip.id} of project ${ip.project_id}); it must be released before the reservation can start`);
}
