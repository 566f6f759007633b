import { renderTimestamp } from '../../common';
import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { Conflict, InvalidInput, NotFound, type Clock } from '../../common';
import type { Database, FloatingIpRecord, Repositories } from '../../db';


function render(ip: FloatingIpRecord): Record<string, unknown> {
  return {
    id: ip.id,
    floating_network_id: ip.floatingNetworkId,
    subnet_id: ip.subnetId,
    floating_ip_address: ip.floatingIpAddress,
    reservable: ip.reservable,
    created_at: renderTimestamp(ip.createdAt),
    updated_at: renderTimestamp(ip.updatedAt),
  };
}

/** Floating IPs registered as reservable. */
export class FloatingIpInventory {
  constructor(private readonly db: Database, private readonly repos: Repositories, private readonly clock: Clock) {}

  async list(): Promise<Record<string, unknown>[]> {
    return (await this.repos.floatingIps.list()).map(render);
  }

  async get(id: string): Promise<Record<string, unknown>> {
    const ip = await this.repos.floatingIps.get(id);
    if (!ip) throw new NotFound('floatingip', id);
    return render(ip);
  }

  async create(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const networkId = body.floating_network_id;
    const address = body.floating_ip_address;
    if (typeof networkId !== 'string' || !networkId.trim()) throw new InvalidInput('Missing parameter floating_network_id');
    if (typeof address !== 'string' || !isIP(address)) {
      throw new InvalidInput(`Invalid input for field/attribute floating_ip_address. Value: ${JSON.stringify(address)}. Not an IP address`);
    }
    const record: FloatingIpRecord = {
      id: randomUUID(), floatingNetworkId: networkId.trim(), subnetId: null, floatingIpAddress: address,
      reservable: true, createdAt: this.clock.now(), updatedAt: null,
    };
    await this.db.transaction(async (tx) => {
      if (await this.repos.floatingIps.findByAddress(record.floatingNetworkId, address, tx)) {
        throw new Conflict('floatingip_exists', `Floating IP ${address} is already registered on network ${record.floatingNetworkId}`);
      }
      await this.repos.floatingIps.insert(tx, record);
    });
    return render(record);
  }

  async delete(id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const ip = await this.repos.floatingIps.get(id, tx);
      if (!ip) throw new NotFound('floatingip', id);
      // The row lock orders this delete with allocations, which lock the same rows before inserting.
      await this.repos.floatingIpAllocations.lock(tx, [id]);
      const held = await this.repos.floatingIpAllocations.list({ floatingipId: id, endsAfter: this.clock.now() }, tx);
      if (held.length) {
        throw new Conflict('floatingip_reserved', `Floating IP ${ip.floatingIpAddress} is reserved now or later `
          + `(reservation(s) ${[...new Set(held.map((a) => a.reservationId))].join(', ')}); it cannot be deleted`);
      }
      await this.repos.floatingIpAllocations.forgetFloatingIp(tx, id);
      await this.repos.floatingIps.delete(tx, id);
    });
  }
}
