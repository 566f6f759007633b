/**
 * A Nova world with the fake Cinder and Neutron behind virtual:volume and virtual:floatingip: one volume pool
 * and one external network with its floating IPs registered. Shared by the tests of what virtual reservations
 * do at their events.
 */
import request from 'supertest';
import type { Logger } from '../../src/common';
import { FakeCinder } from '../fakes/cinder';
import { FakeNeutron } from '../fakes/neutron';
import type { TestDialect } from '../support/database';
import { novaWorld, type NovaWorld } from './nova/world';

export const NET = '5e2b3d0c-8f7a-4a7e-9b39-6c1f4b5d2e10';
export const ADDRESSES = ['172.24.4.101', '172.24.4.102'];

export interface VirtualWorld {
  w: NovaWorld;
  cinder: FakeCinder;
  neutron: FakeNeutron;
  close(): Promise<void>;
}

export async function virtualWorld(dialect: TestDialect, options: { logger?: Logger } = {}): Promise<VirtualWorld> {
  const cinder = await new FakeCinder().start();
  const neutron = await new FakeNeutron().start();
  neutron.addNetwork(NET, { addresses: ADDRESSES });
  const w = await novaWorld({
    manager: { plugins: ['physical:host', 'virtual:volume', 'virtual:floatingip'] },
    cinder: { endpointOverride: cinder.endpoint }, neutron: { endpointOverride: neutron.url },
  }, undefined, { dialect, logger: options.logger });
  await request(w.svc.app).post('/v1/volume-pools').send({ name: 'ceph@rbd#pool', capacity_gb: 1000 }).expect(201);
  for (const address of ADDRESSES) {
    await request(w.svc.app).post('/v1/floatingips').send({ floating_network_id: NET, floating_ip_address: address }).expect(201);
  }
  return {
    w, cinder, neutron,
    close: async () => {
      await w.close();
      await cinder.stop();
      await neutron.stop();
    },
  };
}
