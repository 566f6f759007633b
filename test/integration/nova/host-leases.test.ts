import request from 'supertest';
import { buildServices } from '../../../src/cli/services';
import { silentLogger } from '../../../src/common';
import { configWith } from '../../../src/config';
import { FakeNovaPlacement } from '../../fakes/nova-placement';
import { createTestDatabase, DIALECTS } from '../../support/database';
import { faultsOn } from './support';
import { ADMIN_CTX, novaWorld, type NovaWorld } from './world';

const hostLease = (name: string, extra: Record<string, unknown> = {}) => ({
  name, start_date: 'now', end_date: '2030-01-01 13:00',
  reservations: [{ resource_type: 'physical:host', min: 1, max: 1, hypervisor_properties: '', resource_properties: '' }], ...extra,
});

/** Nothing of Climate's left in Nova: only the freepool aggregate, holding every registered host. */
function expectClean(w: NovaWorld, hosts: string[]): void {
  expect([...w.fake.aggregates.values()].map((a) => a.name)).toEqual(['freepool']);
  expect(w.fake.aggregateNamed('freepool')!.hosts.sort()).toEqual([...hosts].sort());
}

describe('[compute] driver = nova: start-up', () => {
  it('fails clearly when the freepool aggregate does not exist', async () => {
    const fake = await new FakeNovaPlacement().start();
    const database = await createTestDatabase('sqlite');
    try {
      const config = configWith({
        database: { connection: database.url }, compute: { driver: 'nova' },
        nova: { endpointOverride: fake.novaUrl, requestRetries: 0 }, placement: { endpointOverride: fake.placementUrl },
      });
      await expect(buildServices(config, { logger: silentLogger })).rejects.toThrow(/freepool aggregate "freepool" does not exist/);
    } finally {
      await fake.stop();
      await database.drop();
    }
  });

  it('without Keystone needs both endpoint overrides', async () => {
    const config = configWith({ compute: { driver: 'nova' }, nova: { endpointOverride: 'http://127.0.0.1:9/compute' } });
    await expect(buildServices(config, { logger: silentLogger })).rejects.toThrow(/\[placement\] endpoint_override/);
  });
});

jest.setTimeout(60_000);

describe.each(DIALECTS)('host registration with Nova (%s)', (dialect) => {
  let w: NovaWorld;
  beforeEach(async () => {
    w = await novaWorld({}, (fake) => {
      fake.addHypervisor('compute-1', { vcpus: 16, memoryMb: 65536, localGb: 500, zone: 'az1' });
      fake.addHypervisor('compute-2.example.org', { serviceHost: 'compute-2' });
      fake.addHypervisor('busy-1');
      fake.addHypervisor('twin-a', { serviceHost: 'twin' });
      fake.addHypervisor('twin-b', { serviceHost: 'twin' });
    }, { dialect });
  });
  afterEach(async () => { await w.close(); });

  it('copies the hypervisor\'s resources and puts the host in the freepool', async () => {
    const res = await request(w.svc.app).post('/v1/os-hosts').send({ name: 'compute-1', gpu: 'True' });
    expect(res.status).toBe(201);
    expect(res.body.host).toMatchObject({
      hypervisor_hostname: 'compute-1', vcpus: 16, memory_mb: 65536, local_gb: 500, hypervisor_type: 'QEMU',
      hypervisor_version: 8002000, service_name: 'compute-1', availability_zone: 'az1', gpu: 'True',
    });
    expect(JSON.parse(res.body.host.cpu_info)).toEqual({ arch: 'x86_64', model: 'Nehalem' });
    expect(w.fake.aggregateNamed('freepool')!.hosts).toEqual(['compute-1']);
  });

  it('finds a host by its service host name or by hypervisor id', async () => {
    const byService = await request(w.svc.app).post('/v1/os-hosts').send({ name: 'compute-2' });
    expect(byService.status).toBe(201);
    expect(byService.body.host).toMatchObject({ hypervisor_hostname: 'compute-2.example.org', service_name: 'compute-2' });
    const id = w.fake.hypervisors.find((h) => h.hypervisorHostname === 'compute-1')!.id;
    const byId = await request(w.svc.app).post('/v1/os-hosts').send({ name: id });
    expect(byId.status).toBe(201);
    expect(byId.body.host.hypervisor_hostname).toBe('compute-1');
    expect(w.fake.aggregateNamed('freepool')!.hosts.sort()).toEqual(['compute-1', 'compute-2']);
  });

  it('refuses unknown (404), ambiguous (409) and busy (409) hosts, changing nothing', async () => {
    w.fake.addServer('busy-1');
    expect((await request(w.svc.app).post('/v1/os-hosts').send({ name: 'nope' })).status).toBe(404);
    const twin = await request(w.svc.app).post('/v1/os-hosts').send({ name: 'twin' });
    expect(twin.status).toBe(409);
    expect(twin.body.error_message).toMatch(/Several hypervisors match twin/);
    const busy = await request(w.svc.app).post('/v1/os-hosts').send({ name: 'busy-1' });
    expect(busy.status).toBe(409);
    expect(busy.body.error_message).toMatch(/runs 1 instance/);
    expect(w.fake.aggregateNamed('freepool')!.hosts).toEqual([]);
    expect((await request(w.svc.app).get('/v1/os-hosts')).body.hosts).toEqual([]);
  });

  it('a host Nova lists no server on registers, whatever its (lagging) running_vms statistic says', async () => {
    w.fake.hypervisors.find((h) => h.hypervisorHostname === 'busy-1')!.runningVms = 2;
    const res = await request(w.svc.app).post('/v1/os-hosts').send({ name: 'busy-1' });
    expect(res.status).toBe(201);
    expect(w.fake.aggregateNamed('freepool')!.hosts).toEqual(['busy-1']);
  });

  it('a duplicate registration is a 409 and leaves the freepool as it was', async () => {
    await w.register('compute-1');
    const again = await request(w.svc.app).post('/v1/os-hosts').send({ name: 'compute-1' });
    expect(again.status).toBe(409);
    expect(w.fake.aggregateNamed('freepool')!.hosts).toEqual(['compute-1']);
  });

  it('a Nova failure while joining the freepool records nothing (503)', async () => {
    w.fake.fault('POST /os-aggregates/{id}/action:add_host', { status: 500, times: 5 });
    const res = await request(w.svc.app).post('/v1/os-hosts').send({ name: 'compute-1' });
    expect(res.status).toBe(503);
    expect((await request(w.svc.app).get('/v1/os-hosts')).body.hosts).toEqual([]);
  });

  it('deleting a host takes it out of the freepool; a host held by a lease stays', async () => {
    const [id1, id2] = await w.register('compute-1', 'compute-2');
    await w.svc.services.leases.create(ADMIN_CTX, hostLease('l', {
      start_date: '2030-01-02 12:00', end_date: '2030-01-02 13:00',
      reservations: [{ resource_type: 'physical:host', min: 1, max: 1, hypervisor_properties: '["==", "$hypervisor_hostname", "compute-2.example.org"]', resource_properties: '' }],
    }));
    expect((await request(w.svc.app).delete(`/v1/os-hosts/${id2}`)).status).toBe(409);
    expect((await request(w.svc.app).delete(`/v1/os-hosts/${id1}`)).status).toBe(204);
    expect(w.fake.aggregateNamed('freepool')!.hosts).toEqual(['compute-2']);
  });
});

describe.each(DIALECTS)('host leases in Nova (%s)', (dialect) => {
  let w: NovaWorld;
  let hostIds: string[];
  beforeEach(async () => {
    w = await novaWorld({}, (fake) => { fake.addHypervisor('compute-1'); fake.addHypervisor('compute-2'); }, { dialect });
    hostIds = await w.register('compute-1', 'compute-2');
  });
  afterEach(async () => { await w.close(); });

  async function status(id: string) {
    return w.svc.services.leases.get(ADMIN_CTX, id);
  }

  it('start moves the hosts into the reservation\'s aggregate; end deletes instances and brings them back', async () => {
    const lease = await w.svc.services.leases.create(ADMIN_CTX, hostLease('full', {
      reservations: [{ resource_type: 'physical:host', min: 2, max: 2, hypervisor_properties: '', resource_properties: '' }],
    }));
    await w.svc.services.runner.runDueOnce();
    const started = await status(lease.id);
    expect(started.status).toBe('ACTIVE');
    const rid = started.reservations[0].id as string;
    const agg = w.fake.aggregateNamed(rid)!;
    expect(agg.hosts.sort()).toEqual(['compute-1', 'compute-2']);
    expect(agg.availabilityZone).toBe(`climate_${rid}`);
    expect(agg.metadata).toMatchObject({
      'climate:reservation_id': rid, 'climate:owner_project_id': 'p1', 'climate:reservation_type': 'physical:host',
    });
    expect(w.fake.aggregateNamed('freepool')!.hosts).toEqual([]);

    w.fake.serverDeleteDelayMs = 50;
    w.fake.addServer('compute-1');
    w.fake.addServer('compute-2');
    w.clock.set(new Date('2030-01-01T13:00:00Z'));
    await w.svc.services.runner.runDueOnce();
    expect((await status(lease.id)).status).toBe('TERMINATED');
    expect(w.fake.servers.size).toBe(0);
    expectClean(w, ['compute-1', 'compute-2']);
  });

  const startSteps = ['POST /os-aggregates', 'POST /os-aggregates/{id}/action:set_metadata', 'POST /os-aggregates/{id}/action:add_host',
    'POST /os-aggregates/{id}/action:remove_host', 'GET /os-aggregates'];
  it.each(faultsOn(dialect, startSteps))('a start whose "%s" fails (reply lost) is retried to completion', async (route) => {
    const lease = await w.svc.services.leases.create(ADMIN_CTX, hostLease(`s-${route}`));
    w.fake.fault(route, { status: 500, afterHandling: true, times: 2 });
    await w.svc.services.runner.runDueOnce();
    expect((await status(lease.id)).status).toBe('STARTING');
    await w.runEvents(3);
    const active = await status(lease.id);
    expect(active.status).toBe('ACTIVE');
    expect(active.status_reason).toBeNull();
    const rid = active.reservations[0].id as string;
    expect([...w.fake.aggregates.values()].map((a) => a.name).sort()).toEqual(['freepool', rid].sort());
    expect(w.fake.aggregateNamed(rid)!.hosts).toHaveLength(1);
    expect(w.fake.aggregateNamed('freepool')!.hosts).toHaveLength(1);
  });

  const endSteps = ['GET /servers/detail', 'DELETE /servers/{id}', 'POST /os-aggregates/{id}/action:add_host',
    'POST /os-aggregates/{id}/action:remove_host', 'DELETE /os-aggregates/{id}'];
  it.each(faultsOn(dialect, endSteps))('an end whose "%s" fails is retried to completion, nothing orphaned', async (route) => {
    const lease = await w.svc.services.leases.create(ADMIN_CTX, hostLease(`e-${route}`));
    await w.svc.services.runner.runDueOnce();
    const rid = (await status(lease.id)).reservations[0].id as string;
    w.fake.addServer(w.fake.aggregateNamed(rid)!.hosts[0]);
    w.fake.fault(route, { status: 503, times: 2 });
    w.clock.set(new Date('2030-01-01T13:00:00Z'));
    await w.svc.services.runner.runDueOnce();
    expect((await status(lease.id)).status).toBe('TERMINATING');
    await w.runEvents(3);
    expect((await status(lease.id)).status).toBe('TERMINATED');
    expect(w.fake.servers.size).toBe(0);
    expectClean(w, ['compute-1', 'compute-2']);
  });

  it('a Nova that times out is retried by the client within one attempt', async () => {
    const lease = await w.svc.services.leases.create(ADMIN_CTX, hostLease('slow'));
    w.fake.fault('GET /os-aggregates', { hang: true });
    await w.svc.services.runner.runDueOnce();
    expect((await status(lease.id)).status).toBe('ACTIVE');
    expect(w.fake.calls('GET /os-aggregates').length).toBeGreaterThan(1);
  });

  it('a start that keeps failing leaves the lease in ERROR with the reason; end_lease still cleans up', async () => {
    const lease = await w.svc.services.leases.create(ADMIN_CTX, hostLease('doomed'));
    w.fake.fault('POST /os-aggregates/{id}/action:remove_host', { status: 500, times: Infinity });
    await w.runEvents(5);
    const failed = await status(lease.id);
    expect(failed.status).toBe('ERROR');
    expect(failed.status_reason).toMatch(/start_lease failed after 4 attempt\(s\): nova POST \/os-aggregates\/\d+\/action \(request req-[0-9a-f-]+\) failed: HTTP 500/);
    w.fake.clearFaults();
    w.clock.set(new Date('2030-01-01T13:00:00Z'));
    await w.svc.services.runner.runDueOnce();
    expect((await status(lease.id)).status).toBe('TERMINATED');
    expectClean(w, ['compute-1', 'compute-2']);
  });

  it('deleting an active lease hands its hosts back first', async () => {
    const lease = await w.svc.services.leases.create(ADMIN_CTX, hostLease('deleted'));
    await w.svc.services.runner.runDueOnce();
    const rid = (await status(lease.id)).reservations[0].id as string;
    w.fake.addServer(w.fake.aggregateNamed(rid)!.hosts[0]);
    w.fake.fault('DELETE /os-aggregates/{id}', { status: 500, times: 2 }); // both attempts of the client
    await expect(w.svc.services.leases.delete(ADMIN_CTX, lease.id)).rejects.toThrow(/HTTP 500/);
    expect((await status(lease.id)).status).toBe('ACTIVE'); // nothing deleted: the request can be repeated
    await w.svc.services.leases.delete(ADMIN_CTX, lease.id);
    expect(w.fake.servers.size).toBe(0);
    expectClean(w, ['compute-1', 'compute-2']);
  });

  it('the reconciler repairs an orphan aggregate and a host missing from the freepool', async () => {
    const pool = w.fake.aggregateNamed('freepool')!;
    pool.hosts = pool.hosts.filter((h) => h !== 'compute-2');
    w.fake.addAggregate('stale', ['compute-1'], { 'climate:reservation_id': 'gone', 'climate:reservation_type': 'physical:host' });
    pool.hosts = pool.hosts.filter((h) => h !== 'compute-1');
    const findings = await w.svc.services.reconciler!.runOnce();
    expect(findings.map((f) => [f.kind, f.repaired]).sort()).toEqual([['host_not_in_freepool', true], ['orphan_aggregate', true]]);
    expectClean(w, ['compute-1', 'compute-2']);
    expect(await w.svc.services.reconciler!.runOnce()).toEqual([]);
    expect(hostIds).toHaveLength(2);
  });

  it('the reconciler puts an active reservation\'s host back where it belongs, and leaves busy orphans alone', async () => {
    const lease = await w.svc.services.leases.create(ADMIN_CTX, hostLease('drift'));
    await w.svc.services.runner.runDueOnce();
    const rid = (await status(lease.id)).reservations[0].id as string;
    const agg = w.fake.aggregateNamed(rid)!;
    const host = agg.hosts[0];
    agg.hosts = [];
    w.fake.aggregateNamed('freepool')!.hosts.push(host);
    const findings = await w.svc.services.reconciler!.runOnce();
    expect(findings.map((f) => f.kind).sort()).toEqual(['reserved_host_in_freepool', 'reserved_host_not_in_aggregate']);
    expect(w.fake.aggregateNamed(rid)!.hosts).toEqual([host]);
    expect(w.fake.aggregateNamed('freepool')!.hosts).not.toContain(host);

    const other = host === 'compute-1' ? 'compute-2' : 'compute-1';
    w.fake.aggregateNamed('freepool')!.hosts = w.fake.aggregateNamed('freepool')!.hosts.filter((h) => h !== other);
    w.fake.addAggregate('busy-orphan', [other], { 'climate:reservation_id': 'gone2', 'climate:reservation_type': 'physical:host' });
    w.fake.addServer(other);
    const second = await w.svc.services.reconciler!.runOnce();
    expect(second).toEqual([expect.objectContaining({ kind: 'orphan_aggregate', repaired: false })]);
  });
});
