/**
 * virtual:volume leases with [compute] driver = nova, against the fake Cinder with the real client: what start
 * makes (volumes in the owner's project, named and tagged, available), what end removes, and faults on start
 * and end steps retried to completion with nothing orphaned.
 */
import request from 'supertest';
import { FakeCinder } from '../../fakes/cinder';
import { ADMIN_CTX, novaWorld, type NovaWorld } from '../nova/world';

const volumeLease = (name: string, extra: Record<string, unknown> = {}) => ({
  name, start_date: 'now', end_date: '2030-01-01 13:00',
  reservations: [{ resource_type: 'virtual:volume', amount: 2, size_gb: 10, ...extra }],
});

describe('volume leases in Cinder', () => {
  let w: NovaWorld;
  let cinder: FakeCinder;
  beforeEach(async () => {
    cinder = await new FakeCinder().start();
    cinder.volumeTypes.add('ceph');
    w = await novaWorld({ manager: { plugins: ['physical:host', 'virtual:volume'] }, cinder: { endpointOverride: cinder.endpoint } });
    const res = await request(w.svc.app).post('/v1/volume-pools').send({ name: 'ceph@rbd#pool', capacity_gb: 1000, volume_type: 'ceph' });
    expect(res.status).toBe(201);
  });
  afterEach(async () => {
    await w.close();
    await cinder.stop();
  });

  const get = (id: string) => w.svc.services.leases.get(ADMIN_CTX, id);
  const end = async () => {
    w.clock.set(new Date('2030-01-01T13:00:00Z'));
    await w.svc.services.runner.runDueOnce();
  };

  it('start makes the volumes in the owner\'s project and shows their ids; end deletes them', async () => {
    cinder.createDelayMs = 30;
    cinder.deleteDelayMs = 30;
    const lease = await w.svc.services.leases.create(ADMIN_CTX, volumeLease('full'));
    await w.svc.services.runner.runDueOnce();
    const started = await get(lease.id);
    expect(started.status).toBe('ACTIVE');
    const r = started.reservations[0];
    const volumes = cinder.live();
    expect(volumes).toHaveLength(2);
    expect([...(r.volume_ids as string[])].sort()).toEqual(volumes.map((v) => v.id).sort());
    expect(volumes.map((v) => [v.projectId, v.name, v.size, v.volumeType, v.status, v.metadata]).sort()).toEqual([1, 2].map((n) =>
      ['p1', `reservation-${r.id}-${n}`, 10, 'ceph', 'available', { 'climate:reservation_id': r.id }]));
    // The API view shows them too.
    const shown = await request(w.svc.app).get(`/v1/leases/${lease.id}`);
    expect(shown.body.lease.reservations[0].volume_ids).toEqual(r.volume_ids);

    await end();
    expect((await get(lease.id)).status).toBe('TERMINATED');
    expect(cinder.live()).toEqual([]);
  });

  it('end has Nova detach a volume a server still holds (Cinder refuses its force-detach), then deletes it', async () => {
    const lease = await w.svc.services.leases.create(ADMIN_CTX, volumeLease('attached', { amount: 1 }));
    await w.svc.services.runner.runDueOnce();
    const server = w.fake.addServer('compute-1');
    w.fake.detachVolume = (serverId, volumeId) => cinder.detach(serverId, volumeId);
    const [volume] = cinder.live();
    cinder.attach(volume.id, server.id);
    await end();
    expect((await get(lease.id)).status).toBe('TERMINATED');
    expect(w.fake.calls('DELETE /servers/{id}/os-volume_attachments/{id}').map((r) => r.path)).toEqual([`/servers/${server.id}/os-volume_attachments/${volume.id}`]);
    expect(cinder.calls('POST /volumes/{id}/action:os-force_detach')).toHaveLength(0);
    expect(cinder.live()).toEqual([]);
  });

  it('a volume ending in error fails the start; the retry replaces it, nothing orphaned', async () => {
    cinder.failCreates = 1;
    const lease = await w.svc.services.leases.create(ADMIN_CTX, volumeLease('flaky'));
    await w.svc.services.runner.runDueOnce();
    expect((await get(lease.id)).status).toBe('STARTING');
    expect(cinder.live().map((v) => v.status).sort()).toEqual(['available', 'error']);
    await w.runEvents(3);
    const active = await get(lease.id);
    expect(active.status).toBe('ACTIVE');
    const live = cinder.live();
    expect(live.map((v) => v.status)).toEqual(['available', 'available']);
    expect((active.reservations[0].volume_ids as string[]).sort()).toEqual(live.map((v) => v.id).sort());
    expect(cinder.calls('POST /volumes')).toHaveLength(3);
    await end();
    expect(cinder.live()).toEqual([]);
  });

  // "Reply lost": the create went through but was answered 500 (a POST is not repeated by the client).
  const startSteps: [string, Record<string, unknown>][] = [
    ['POST /volumes', { status: 500, afterHandling: true }],
    ['GET /volumes/detail', { status: 503, times: 2 }],
    ['GET /volumes/{id}', { status: 503, times: 2 }],
  ];
  it.each(startSteps)('a start whose "%s" fails is retried to completion without duplicates', async (route, fault) => {
    const lease = await w.svc.services.leases.create(ADMIN_CTX, volumeLease(`s-${route}`));
    cinder.fault(route, fault);
    await w.svc.services.runner.runDueOnce();
    expect((await get(lease.id)).status).toBe('STARTING');
    await w.runEvents(3);
    const active = await get(lease.id);
    expect(active.status).toBe('ACTIVE');
    const live = cinder.live();
    expect(live.map((v) => v.name).sort()).toEqual([1, 2].map((n) => `reservation-${active.reservations[0].id}-${n}`));
    expect((active.reservations[0].volume_ids as string[]).sort()).toEqual(live.map((v) => v.id).sort());
    await end();
    expect((await get(lease.id)).status).toBe('TERMINATED');
    expect(cinder.live()).toEqual([]);
  });

  const endSteps = ['GET /volumes/detail', 'DELETE /volumes/{id}', 'GET /volumes/{id}'];
  it.each(endSteps)('an end whose "%s" fails is retried to completion, nothing orphaned', async (route) => {
    const lease = await w.svc.services.leases.create(ADMIN_CTX, volumeLease(`e-${route}`));
    await w.svc.services.runner.runDueOnce();
    expect(cinder.live()).toHaveLength(2);
    cinder.fault(route, { status: 503, times: 2 });
    await end();
    expect((await get(lease.id)).status).toBe('TERMINATING');
    await w.runEvents(3);
    expect((await get(lease.id)).status).toBe('TERMINATED');
    expect(cinder.live()).toEqual([]);
  });

  it('a volume that never becomes available fails the start within the bound', async () => {
    cinder.createDelayMs = 60_000;
    const lease = await w.svc.services.leases.create(ADMIN_CTX, volumeLease('slow', { amount: 1 }));
    const t0 = Date.now();
    await w.svc.services.runner.runDueOnce();
    // The wait is bounded (the world's 5 s), far below the minute the volume would take.
    expect(Date.now() - t0).toBeLessThan(45_000);
    expect((await get(lease.id)).status).toBe('STARTING');
    cinder.createDelayMs = 0;
    await w.runEvents(2);
    expect((await get(lease.id)).status).toBe('ACTIVE');
    expect(cinder.live()).toHaveLength(1);
  });

  it('deleting an active lease deletes its volumes', async () => {
    const lease = await w.svc.services.leases.create(ADMIN_CTX, volumeLease('deleted'));
    await w.svc.services.runner.runDueOnce();
    expect(cinder.live()).toHaveLength(2);
    await w.svc.services.leases.delete(ADMIN_CTX, lease.id);
    expect(cinder.live()).toEqual([]);
  });

  it('volumes get the reservation\'s volume type, else the pool\'s, else Cinder\'s default', async () => {
    await request(w.svc.app).post('/v1/volume-pools').send({ name: 'a-lvm@lvm#plain', capacity_gb: 100 }).expect(201);
    const untyped = await w.svc.services.leases.create(ADMIN_CTX, volumeLease('untyped', { amount: 1, size_gb: 50 }));
    const typed = await w.svc.services.leases.create(ADMIN_CTX, volumeLease('typed', { amount: 1, size_gb: 5, volume_type: 'ceph' }));
    // Too big for the untyped pool: goes to the ceph pool and takes its type.
    const big = await w.svc.services.leases.create(ADMIN_CTX, volumeLease('big', { amount: 1, size_gb: 200 }));
    await w.svc.services.runner.runDueOnce();
    const ids = await Promise.all([untyped, typed, big].map(async (l) => {
      const got = await get(l.id);
      expect(got.status).toBe('ACTIVE');
      return (got.reservations[0].volume_ids as string[])[0];
    }));
    expect(ids.map((id) => cinder.volumes.get(id)!.volumeType)).toEqual(['__DEFAULT__', 'ceph', 'ceph']);
    const rid = (await get(untyped.id)).reservations[0].id;
    const body = cinder.calls('POST /volumes').map((c) => (c.body as { volume: Record<string, unknown> }).volume).find((v) => v.size === 50);
    expect(body).toEqual({ size: 50, name: `reservation-${rid}-1`, metadata: { 'climate:reservation_id': rid } });
  });

  it('once started, only the window may change, and only while the pool keeps the volumes\' space', async () => {
    const lease = await w.svc.services.leases.create(ADMIN_CTX, volumeLease('started', { amount: 2, size_gb: 400 }));
    await w.svc.services.runner.runDueOnce();
    const r = (await get(lease.id)).reservations[0];
    const put = (body: Record<string, unknown>) => request(w.svc.app).put(`/v1/leases/${lease.id}`).send(body);
    const grow = await put({ reservations: [{ id: r.id, amount: 3 }] });
    expect(grow.status).toBe(409);
    expect(grow.body.error_message).toMatch(/Cannot change amount of a virtual:volume reservation whose lease has started/);
    // Another lease holds 300 GiB of the pool from 14:00: extending to 15:00 would need 1100 GiB.
    await w.svc.services.leases.create(ADMIN_CTX, { name: 'next', start_date: '2030-01-01 14:00', end_date: '2030-01-01 16:00',
      reservations: [{ resource_type: 'virtual:volume', amount: 1, size_gb: 300 }] });
    const longer = await put({ end_date: '2030-01-01 15:00' });
    expect(longer.status).toBe(409);
    expect(longer.body.error_message).toMatch(/would not keep its 800 GiB \(700 GiB free then\)/);
    expect((await put({ end_date: '2030-01-01 14:00' })).status).toBe(200);
    expect(cinder.live()).toHaveLength(2);
  });
});
