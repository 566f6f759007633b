import type { Logger } from '../../common';
import { isStatus, type NeutronClient, type NeutronFloatingIp } from '../../openstack';
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
 */
export class NeutronFloatingIpActions implements FloatingIpActions {
  constructor(private readonly neutron: NeutronClient, private readonly logger: Logger) {}

  async onStart(args: HookArgs & { floatingIps: HeldFloatingIp[] }): Promise<void> {
    const tag = reservationTag(args.reservation.id);
    for (const held of args.floatingIps) {
      const ip = await this.ensureCreated(held, tag, args.lease.projectId);
      if (!(ip.tags ?? []).includes(tag)) await this.neutron.addFloatingIpTag(ip.id, tag);
    }
  }

  async onEnd(args: HookArgs & { floatingIps: HeldFloatingIp[] }): Promise<void> {
    const tag = reservationTag(args.reservation.id);
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
        this.logger.info(`floating IP ${held.floatingIpAddress} (${ip.id}) of reservation ${args.reservation.id} deleted`,
          { lease_id: args.lease.id });
      }
    }
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
      throw now.length ? inUse(held, now[0]) : new Error(`Neutron refused floating IP ${held.floatingIpAddress} on network `
        + `${held.floatingNetworkId}: address in use (${error instanceof Error ? error.message : String(error)})`, { cause: error });
    }
  }
}

function inUse(held: HeldFloatingIp, ip: NeutronFloatingIp): Error {
  return new Error(`Floating IP ${held.floatingIpAddress} on network ${held.floatingNetworkId} is in use in Neutron `
    + `(floating IP ${ip.id} of project ${ip.project_id}); it must be released before the reservation can start`);
}
