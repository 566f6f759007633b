/**
 * `on_start: none` / `on_end: none` of virtual reservations with [compute] driver = nova, against the fake
 * Cinder and Neutron: the lease still runs its course (ACTIVE, TERMINATED, the lease.event.* notifications),
 * the capacity is held, but nothing is created at start, and nothing is removed at end (which the log says).
 */
import request from 'supertest';
import { createLogger } from '../../src/common';
import { expectSchema } from '../api/helpers';
import type { FakeCinder } from '../fakes/cinder';
import type { FakeNeutron } from '../fakes/neutron';
import { ENGINES } from '../support/database';
import { ADMIN_CTX, type NovaWorld } from './nova/world';
import { ADDRESSES, NET, virtualWorld, type VirtualWorld } from './virtual-world';

jest.setTimeout(60_000);

const END = new Date('2030-01-01T13:00:00Z');

const volumeLease = (name: string, extra: Record<string, unknown> = {}) => ({
  name, start_date: 'now', end_date: '2030-01-01 13:00',
  reservations: [{ resource_type: 'virtual:volume', amount: 2, size_gb: 400, ...extra }],
});
const fipLease = (name: string, extra: Record<string, unknown> = {}) => ({
  name, start_date: 'now', end_date: '2030-01-01 13:00',
  reservations: [{ resource_type: 'virtual:floatingip', network_id: NET, amount: 2, ...extra }],
});

describe.each(ENGINES)('on_start / on_end on %s', (dialect) => {
  let world: VirtualWorld;
  let w: NovaWorld;
  let cinder: FakeCinder;
  let neutron: FakeNeutron;
  let lines: string[];

  beforeEach(async () => {
    lines = [];
    world = await virtualWorld(dialect, { logger: createLogger({ write: (line) => lines.push(line) }) });
    ({ w, cinder, neutron } = world);
  });
  afterEach(async () => { await world.close(); });

  const get = (id: string) => w.svc.services.leases.get(ADMIN_CTX, id);
  const notifications = async (leaseId: string) => (await w.svc.services.repos.outbox.pending(1000))
    .filter((n) => n.leaseId === leaseId)
    .map((n) => ({ type: n.eventType, payload: JSON.parse(n.payload) as { status: string; reservations: Record<string, unknown>[] } }));
  const end = async () => {
    w.clock.set(END);
    await w.runEvents(2);
  };

  describe('virtual:volume', () => {
    it('on_start none makes no volume, yet the lease goes ACTIVE, holds the capacity and notifies', async () => {
      const lease = await w.svc.services.leases.create(ADMIN_CTX, volumeLease('bare', { on_start: 'none' }));
      expect(lease.reservations[0]).toMatchObject({ on_start: 'none', on_end: 'delete' });
      await w.svc.services.runner.runDueOnce();
      const active = await get(lease.id);
      expect(active.status).toBe('ACTIVE');
      expect(active.reservations[0]).toMatchObject({ status: 'active', on_start: 'none', volume_ids: [] });
      expect(cinder.requests).toEqual([]);
      expect(cinder.live()).toEqual([]);
      const started = (await notifications(lease.id)).filter((n) => n.type === 'lease.event.start_lease');
      expect(started).toHaveLength(1);
      expect(started[0].payload.status).toBe('ACTIVE');
      expect(started[0].payload.reservations[0]).toMatchObject({ on_start: 'none' });
      expect(lines.some((l) => l.includes(`reservation ${active.reservations[0].id} (virtual:volume)`)
        && l.includes('on_start = none: nothing created'))).toBe(true);
      // The 800 GiB are held all the same: 300 more do not fit the 1000 GiB pool.
      const more = await request(w.svc.app).post('/v1/leases').send(volumeLease('more', { amount: 1, size_gb: 300 }));
      expect(more.status).toBe(409);
      expect(more.body.error_message).toMatch(/Not enough capacity for virtual:volume/);
      // The end (delete by default) finds nothing of the reservation's to remove.
      await end();
      expect((await get(lease.id)).status).toBe('TERMINATED');
      expect(cinder.calls('DELETE /volumes/{id}')).toEqual([]);
    });

    it('on_end none leaves the volumes in place at the end, says so, and the lease ends as usual', async () => {
      const lease = await w.svc.services.leases.create(ADMIN_CTX, volumeLease('keep', { on_end: 'none' }));
      await w.svc.services.runner.runDueOnce();
      const active = await get(lease.id);
      expect(active.status).toBe('ACTIVE');
      const ids = (active.reservations[0].volume_ids as string[]).slice().sort();
      expect(cinder.live().map((v) => v.id).sort()).toEqual(ids);
      expect(ids).toHaveLength(2);

      await end();
      const ended = await get(lease.id);
      expect(ended.status).toBe('TERMINATED');
      expect(cinder.live().map((v) => [v.id, v.status]).sort()).toEqual(ids.map((id) => [id, 'available']));
      expect(cinder.calls('DELETE /volumes/{id}')).toEqual([]);
      expect((await notifications(lease.id)).map((n) => n.type)).toEqual(expect.arrayContaining(['lease.event.start_lease', 'lease.event.end_lease']));
      expect(lines.some((l) => l.includes(`reservation ${ended.reservations[0].id} (virtual:volume)`)
        && l.includes('on_end = none: the resources it made are left in place'))).toBe(true);
    });

    it('a PUT turns on_end to none after the start; deleting the active lease then keeps the volumes', async () => {
      const lease = await w.svc.services.leases.create(ADMIN_CTX, volumeLease('changed'));
      await w.svc.services.runner.runDueOnce();
      const rid = (await get(lease.id)).reservations[0].id;
      const put = (body: Record<string, unknown>) => request(w.svc.app).put(`/v1/leases/${lease.id}`).send(body);
      const late = await put({ reservations: [{ id: rid, on_start: 'none' }] });
      expect(late.status).toBe(409);
      expect(late.body.error_message).toBe('Cannot change on_start of a reservation whose lease has started');
      const ok = await put({ reservations: [{ id: rid, on_end: 'none' }] });
      expect(ok.status).toBe(200);
      expect(ok.body.lease.reservations[0]).toMatchObject({ on_start: 'create', on_end: 'none' });
      expectSchema(ok.body, 'LeaseEnvelope');
      await request(w.svc.app).delete(`/v1/leases/${lease.id}`).expect(204);
      expect(cinder.live()).toHaveLength(2);
      expect(cinder.calls('DELETE /volumes/{id}')).toEqual([]);
    });

    it('refuses a bad value with a 400 naming the field, and creates nothing', async () => {
      const res = await request(w.svc.app).post('/v1/leases').send(volumeLease('bad', { on_end: 'keep' }));
      expect(res.status).toBe(400);
      expect(res.body.error_message).toBe('Invalid input for field/attribute on_end. Value: "keep". Must be one of: delete, none');
      expect((await request(w.svc.app).get('/v1/leases')).body.leases).toEqual([]);
    });
  });

  describe('virtual:floatingip', () => {
    it('on_start none creates no floating IP, yet the lease goes ACTIVE and notifies', async () => {
      const lease = await w.svc.services.leases.create(ADMIN_CTX, fipLease('bare', { on_start: 'none' }));
      await w.svc.services.runner.runDueOnce();
      const active = await get(lease.id);
      expect(active.status).toBe('ACTIVE');
      expect(active.reservations[0]).toMatchObject({ on_start: 'none', on_end: 'delete' });
      expect((active.reservations[0].floatingips as string[]).slice().sort()).toEqual(ADDRESSES);
      expect(neutron.requests).toEqual([]);
      expect(neutron.floatingIps.size).toBe(0);
      expect((await notifications(lease.id)).filter((n) => n.type === 'lease.event.start_lease')).toHaveLength(1);
      await end();
      expect((await get(lease.id)).status).toBe('TERMINATED');
      expect(neutron.calls('DELETE /v2.0/floatingips/{id}')).toEqual([]);
    });

    it('on_end none leaves the floating IPs in the owner\'s project at the end, and says so', async () => {
      const lease = await w.svc.services.leases.create(ADMIN_CTX, fipLease('keep', { on_end: 'none' }));
      await w.svc.services.runner.runDueOnce();
      expect((await get(lease.id)).status).toBe('ACTIVE');
      expect(neutron.floatingIps.size).toBe(2);
      await end();
      const ended = await get(lease.id);
      expect(ended.status).toBe('TERMINATED');
      expect([...neutron.floatingIps.values()].map((f) => [f.floatingIpAddress, f.projectId]).sort()).toEqual(ADDRESSES.map((a) => [a, 'p1']));
      expect(neutron.calls('DELETE /v2.0/floatingips/{id}')).toEqual([]);
      expect((await notifications(lease.id)).filter((n) => n.type === 'lease.event.end_lease')).toHaveLength(1);
      expect(lines.some((l) => l.includes(`reservation ${ended.reservations[0].id} (virtual:floatingip)`)
        && l.includes('on_end = none'))).toBe(true);
    });
  });
});
