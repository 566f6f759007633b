/**
 * virtual:floatingip leases with [compute] driver = nova against the fake Neutron: at start the held addresses
 * become floating IPs of the owner's project tagged with the reservation; at end they are disassociated and
 * deleted. Faults on either side are retried to completion with nothing orphaned; an address someone else holds
 * in Neutron fails the start with a clear reason.
 */
import request from 'supertest';
import { buildServices } from '../../../src/cli/services';
import { silentLogger } from '../../../src/common';
import { configWith } from '../../../src/config';
import { FakeNeutron } from '../../fakes/neutron';
import { FakeNovaPlacement } from '../../fakes/nova-placement';
import { startTestService } from '../../support/service';
import { ADMIN_CTX, novaWorld, type NovaWorld } from '../nova/world';

jest.setTimeout(60_000);

const NET = '5e2b3d0c-8f7a-4a7e-9b39-6c1f4b5d2e10';
const ADDRESSES = ['172.24.4.101', '172.24.4.102', '172.24.4.103'];
const fipLease = (name: string, amount = 2, required: string[] = ['172.24.4.102']) => ({
  name, start_date: 'now', end_date: '2030-01-01 13:00',
  reservations: [{ resource_type: 'virtual:floatingip', network_id: NET, amount, required_floatingips: required }],
});

describe('[compute] driver = nova: virtual:floatingip with Neutron', () => {
  let w: NovaWorld;
  let neutron: FakeNeutron;
  const get = (id: string) => w.svc.services.leases.get(ADMIN_CTX, id);
  const tagged = (rid: string) => [...neutron.floatingIps.values()].filter((f) => f.tags.includes(`reservation:${rid}`));

  beforeEach(async () => {
    neutron = await new FakeNeutron().start();
    neutron.addNetwork(NET, { addresses: ADDRESSES });
    w = await novaWorld({
      manager: { plugins: ['physical:host', 'virtual:floatingip'] },
      neutron: { endpointOverride: neutron.url },
    });
    for (const address of ADDRESSES) {
      await request(w.svc.app).post('/v1/floatingips').send({ floating_network_id: NET, floating_ip_address: address }).expect(201);
    }
  });
  afterEach(async () => {
    await w.close();
    await neutron.stop();
  });

  it('creates the floating IPs in the owner\'s project at start and deletes them at end', async () => {
    const lease = await w.svc.services.leases.create(ADMIN_CTX, fipLease('a'));
    const held = (lease.reservations[0].floatingips as string[]).slice().sort();
    expect(held).toHaveLength(2);
    expect(held).toContain('172.24.4.102');
    await w.svc.services.runner.runDueOnce();
    const active = await get(lease.id);
    expect(active.status).toBe('ACTIVE');
    const rid = active.reservations[0].id as string;
    const made = tagged(rid);
    expect(made.map((f) => f.floatingIpAddress).sort()).toEqual(held);
    for (const f of made) {
      expect(f).toMatchObject({ floatingNetworkId: NET, projectId: 'p1', description: `reservation:${rid}` });
    }
    const create = neutron.calls('POST /v2.0/floatingips')[0].body as { floatingip: Record<string, unknown> };
    expect(create.floatingip).toMatchObject({ floating_network_id: NET, project_id: 'p1' });

    // The user attaches one to a server; the end detaches it first, then deletes both.
    neutron.associate(made[0].id, neutron.addReachablePort(NET, 'p1').id);
    w.clock.set(new Date('2030-01-01T13:00:00Z'));
    await w.runEvents(2);
    expect((await get(lease.id)).status).toBe('TERMINATED');
    expect(neutron.floatingIps.size).toBe(0);
    const detach = neutron.calls('PUT /v2.0/floatingips/{id}');
    expect(detach).toHaveLength(1);
    expect(detach[0].body).toEqual({ floatingip: { port_id: null } });
  });

  it('with [compute] driver = none the hooks do nothing', async () => {
    const svc = await startTestService({ config: { manager: { plugins: ['virtual:floatingip'] }, neutron: { endpointOverride: neutron.url } } });
    try {
      await request(svc.app).post('/v1/floatingips').send({ floating_network_id: NET, floating_ip_address: '172.24.4.101' }).expect(201);
      const lease = await svc.services.leases.create(ADMIN_CTX, fipLease('none', 1, []));
      await svc.services.runner.runDueOnce();
      expect((await svc.services.leases.get(ADMIN_CTX, lease.id)).status).toBe('ACTIVE');
      expect(neutron.requests).toHaveLength(0);
    } finally {
      await svc.close();
    }
  });

  const startFaults: [string, { status?: number; times?: number; afterHandling?: boolean; hang?: boolean }][] = [
    ['GET /v2.0/floatingips', { status: 503, times: 2 }],
    ['POST /v2.0/floatingips', { status: 500 }],
    // The create went through but its answer was lost: the retry finds it instead of making a second one.
    ['POST /v2.0/floatingips', { status: 502, afterHandling: true }],
    ['PUT /v2.0/floatingips/{id}/tags/{tag}', { status: 503, times: 2 }],
  ];
  it.each(startFaults)('a start whose "%s" fails (%j) is retried to completion, then the end removes everything', async (route, fault) => {
    const lease = await w.svc.services.leases.create(ADMIN_CTX, fipLease(`s-${route}`));
    neutron.fault(route, fault);
    await w.runEvents(3);
    expect(neutron.calls(route).length).toBeGreaterThan(1);
    const active = await get(lease.id);
    expect(active.status).toBe('ACTIVE');
    const rid = active.reservations[0].id as string;
    expect(neutron.floatingIps.size).toBe(2);
    expect(tagged(rid)).toHaveLength(2);
    w.clock.set(new Date('2030-01-01T13:00:00Z'));
    await w.runEvents(2);
    expect((await get(lease.id)).status).toBe('TERMINATED');
    expect(neutron.floatingIps.size).toBe(0);
  });

  const endFaults: [string, { status: number; times?: number; afterHandling?: boolean }][] = [
    ['GET /v2.0/floatingips', { status: 503, times: 2 }],
    ['PUT /v2.0/floatingips/{id}', { status: 500 }],
    ['DELETE /v2.0/floatingips/{id}', { status: 503, times: 2 }],
    ['DELETE /v2.0/floatingips/{id}', { status: 502, afterHandling: true }],
  ];
  it.each(endFaults)('an end whose "%s" fails (%j) is retried to completion, nothing orphaned', async (route, fault) => {
    const lease = await w.svc.services.leases.create(ADMIN_CTX, fipLease(`e-${route}`));
    await w.svc.services.runner.runDueOnce();
    const rid = (await get(lease.id)).reservations[0].id as string;
    for (const f of tagged(rid)) neutron.associate(f.id, neutron.addReachablePort(NET, 'p1').id);
    neutron.fault(route, fault);
    w.clock.set(new Date('2030-01-01T13:00:00Z'));
    await w.runEvents(3);
    expect((await get(lease.id)).status).toBe('TERMINATED');
    expect(neutron.floatingIps.size).toBe(0);
  });

  it('an address someone else holds in Neutron fails the start with a clear reason; the end leaves theirs alone', async () => {
    const theirs = neutron.addFloatingIp(NET, '172.24.4.102', { projectId: 'p-other' });
    const lease = await w.svc.services.leases.create(ADMIN_CTX, fipLease('taken', 1));
    await w.runEvents(5);
    const failed = await get(lease.id);
    expect(failed.status).toBe('ERROR');
    expect(failed.status_reason).toMatch(/start_lease failed after 4 attempt\(s\)/);
    expect(failed.status_reason).toMatch(/172\.24\.4\.102 .* is in use in Neutron .*p-other/);
    w.clock.set(new Date('2030-01-01T13:00:00Z'));
    await w.runEvents(2);
    expect((await get(lease.id)).status).toBe('TERMINATED');
    expect([...neutron.floatingIps.values()]).toEqual([theirs]);
  });

  it('a Neutron 409 on create (address taken in between) fails the event with the reason, and is retried', async () => {
    const lease = await w.svc.services.leases.create(ADMIN_CTX, fipLease('race', 1));
    neutron.fault('POST /v2.0/floatingips', { status: 409 });
    await w.svc.services.runner.runDueOnce();
    const starting = await get(lease.id);
    expect(starting.status).toBe('STARTING');
    const events = await w.svc.services.repos.events.listByLeases([lease.id]);
    expect(events.find((e) => e.eventType === 'start_lease')!.lastError).toMatch(/Neutron refused floating IP 172\.24\.4\.102 .*address in use/);
    await w.runEvents(3);
    expect((await get(lease.id)).status).toBe('ACTIVE');
    expect(neutron.floatingIps.size).toBe(1);
  });

  it('deleting an active lease deletes its floating IPs and frees the addresses', async () => {
    const lease = await w.svc.services.leases.create(ADMIN_CTX, fipLease('deleted', 3, []));
    await w.svc.services.runner.runDueOnce();
    expect(neutron.floatingIps.size).toBe(3);
    await w.svc.services.leases.delete(ADMIN_CTX, lease.id);
    expect(neutron.floatingIps.size).toBe(0);
    expect(await w.svc.services.repos.floatingIpAllocations.list()).toEqual([]);
  });

  it('without Keystone needs [neutron] endpoint_override', async () => {
    const fake = await new FakeNovaPlacement().start();
    fake.addAggregate('freepool');
    try {
      const config = configWith({
        compute: { driver: 'nova' }, manager: { plugins: ['virtual:floatingip'] },
        nova: { endpointOverride: fake.novaUrl, requestRetries: 0 }, placement: { endpointOverride: fake.placementUrl },
      });
      await expect(buildServices(config, { logger: silentLogger })).rejects.toThrow(/\[neutron\] endpoint_override/);
    } finally {
      await fake.stop();
    }
  });
});
