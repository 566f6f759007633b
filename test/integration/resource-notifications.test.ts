/**
 * reservation.volume.* and reservation.floatingip.* notifications with [compute] driver = nova, against the fake
 * Cinder and Neutron: each status change of the reservation's resources is recorded in its parameters
 * (`volumes_status`, `floatingips_status`) and announced in the same transaction, once per change however often
 * the event is retried; failures carry the reason with ERROR priority; `on_start: none` announces nothing.
 */
import request from 'supertest';
import { expectSchema } from '../api/helpers';
import type { FakeCinder } from '../fakes/cinder';
import type { FakeNeutron } from '../fakes/neutron';
import { DIALECTS } from '../support/database';
import { ADMIN_CTX, type NovaWorld } from './nova/world';
import { NET, virtualWorld, type VirtualWorld } from './virtual-world';

jest.setTimeout(60_000);

type Payload = Record<string, unknown>;

describe.each(DIALECTS)('resource notifications on %s', (dialect) => {
  let world: VirtualWorld;
  let w: NovaWorld;
  let cinder: FakeCinder;
  let neutron: FakeNeutron;

  beforeEach(async () => {
    world = await virtualWorld(dialect);
    ({ w, cinder, neutron } = world);
  });
  afterEach(async () => { await world.close(); });

  const get = (id: string) => w.svc.services.leases.get(ADMIN_CTX, id);
  const sent = async (prefix: string) => (await w.svc.services.repos.outbox.pending(1000))
    .filter((n) => n.eventType.startsWith(prefix))
    .map((n) => ({ type: n.eventType, priority: n.priority, payload: JSON.parse(n.payload) as Payload }));
  const end = async (rounds = 2) => {
    w.clock.set(new Date('2030-01-01T13:00:00Z'));
    await w.runEvents(rounds);
  };
  const lease = (name: string, reservation: Record<string, unknown>) => w.svc.services.leases.create(ADMIN_CTX, {
    name, start_date: 'now', end_date: '2030-01-01 13:00', reservations: [reservation],
  });
  const volumes = (extra: Record<string, unknown> = {}) => ({ resource_type: 'virtual:volume', amount: 2, size_gb: 10, ...extra });
  const floatingIps = (extra: Record<string, unknown> = {}) => ({ resource_type: 'virtual:floatingip', network_id: NET, amount: 2, ...extra });

  describe('virtual:volume', () => {
    it('announces created with the volume ids at start and deleted at end, once each', async () => {
      const l = await lease('v', volumes());
      await w.svc.services.runner.runDueOnce();
      const active = await get(l.id);
      const r = active.reservations[0];
      expect(r).toMatchObject({ volumes_status: 'created', volumes_status_reason: null });
      const ids = cinder.live().map((v) => v.id).sort();
      const created = await sent('reservation.volume.');
      expect(created).toEqual([{
        type: 'reservation.volume.created', priority: 'INFO',
        payload: { lease_id: l.id, reservation_id: r.id, project_id: 'p1', user_id: 'u1', volume_ids: expect.any(Array),
          volumes_status: 'created', volumes_status_reason: null },
      }]);
      expect((created[0].payload.volume_ids as string[]).slice().sort()).toEqual(ids);
      // A start run again (an event retried after its hooks succeeded) announces nothing new.
      const plugin = w.svc.services.plugins.get('virtual:volume')!;
      const { repos } = w.svc.services;
      await plugin.onStart({ lease: (await repos.leases.get(l.id))!, reservation: (await repos.reservations.get(String(r.id)))! });
      expect(await sent('reservation.volume.')).toHaveLength(1);

      await end();
      expect((await get(l.id)).reservations[0]).toMatchObject({ volumes_status: 'deleted' });
      const notes = await sent('reservation.volume.');
      expect(notes.map((n) => n.type)).toEqual(['reservation.volume.created', 'reservation.volume.deleted']);
      expect((notes[1].payload.volume_ids as string[]).slice().sort()).toEqual(ids);
      // The API shows the new fields as its document describes them.
      expectSchema((await request(w.svc.app).get(`/v1/leases/${l.id}`)).body, 'LeaseEnvelope');
    });

    it('a volume in error announces create_failed (ERROR, with Cinder\'s reason); the retry that succeeds announces created', async () => {
      cinder.failCreates = 1;
      const l = await lease('flaky', volumes());
      await w.svc.services.runner.runDueOnce();
      const failing = await get(l.id);
      expect(failing.status).toBe('STARTING');
      expect(failing.reservations[0]).toMatchObject({
        volumes_status: 'create_failed', volumes_status_reason: expect.stringMatching(/Cinder failed to create volume .* \(status error\)/),
      });
      await w.runEvents(3);
      expect((await get(l.id)).status).toBe('ACTIVE');
      const notes = await sent('reservation.volume.');
      expect(notes.map((n) => [n.type, n.priority])).toEqual([
        ['reservation.volume.create_failed', 'ERROR'], ['reservation.volume.created', 'INFO'],
      ]);
      expect(notes[0].payload.volumes_status_reason).toMatch(/status error/);
    });

    it('volumes not gone in time announce delete_failed; the retry that removes them announces deleted', async () => {
      const l = await lease('slow-delete', volumes({ amount: 1 }));
      await w.svc.services.runner.runDueOnce();
      cinder.deleteDelayMs = 60_000;
      await end(1);
      expect((await get(l.id)).status).toBe('TERMINATING');
      expect((await get(l.id)).reservations[0]).toMatchObject({
        volumes_status: 'delete_failed', volumes_status_reason: expect.stringMatching(/still not deleted after/),
      });
      cinder.deleteDelayMs = 0;
      await w.runEvents(3);
      expect((await get(l.id)).status).toBe('TERMINATED');
      expect((await sent('reservation.volume.')).map((n) => n.type)).toEqual([
        'reservation.volume.created', 'reservation.volume.delete_failed', 'reservation.volume.deleted',
      ]);
    });

    it('announces nothing with on_start none (and an end that finds nothing)', async () => {
      const l = await lease('bare', volumes({ on_start: 'none' }));
      await w.svc.services.runner.runDueOnce();
      await end();
      expect((await get(l.id)).status).toBe('TERMINATED');
      expect((await get(l.id)).reservations[0].volumes_status).toBeUndefined();
      expect(await sent('reservation.volume.')).toEqual([]);
    });
  });

  describe('virtual:floatingip', () => {
    it('announces created with the Neutron ids at start and deleted at end', async () => {
      const l = await lease('f', floatingIps());
      await w.svc.services.runner.runDueOnce();
      const r = (await get(l.id)).reservations[0];
      const ids = [...neutron.floatingIps.keys()].sort();
      expect(r).toMatchObject({ floatingips_status: 'created', floatingips_status_reason: null });
      expect((r.floatingip_ids as string[]).slice().sort()).toEqual(ids);
      const created = await sent('reservation.floatingip.');
      expect(created).toEqual([{
        type: 'reservation.floatingip.created', priority: 'INFO',
        payload: expect.objectContaining({ lease_id: l.id, reservation_id: r.id, project_id: 'p1', floatingips_status: 'created' }),
      }]);
      await end();
      expect(neutron.floatingIps.size).toBe(0);
      const notes = await sent('reservation.floatingip.');
      expect(notes.map((n) => n.type)).toEqual(['reservation.floatingip.created', 'reservation.floatingip.deleted']);
      expect((notes[1].payload.floatingip_ids as string[]).slice().sort()).toEqual(ids);
      expectSchema((await request(w.svc.app).get(`/v1/leases/${l.id}`)).body, 'LeaseEnvelope');
    });

    it('an address someone else holds announces create_failed once, however often the start is retried', async () => {
      neutron.addFloatingIp(NET, '172.24.4.101', { projectId: 'p-other' });
      const l = await lease('taken', floatingIps({ amount: 1, required_floatingips: ['172.24.4.101'] }));
      await w.runEvents(5);
      expect((await get(l.id)).status).toBe('ERROR');
      const notes = await sent('reservation.floatingip.');
      expect(notes.map((n) => [n.type, n.priority])).toEqual([['reservation.floatingip.create_failed', 'ERROR']]);
      expect(notes[0].payload.floatingips_status_reason).toMatch(/172\.24\.4\.101 .* is in use in Neutron .*p-other/);
    });

    it('a deletion Neutron refuses announces delete_failed; the retry announces deleted', async () => {
      const l = await lease('refused', floatingIps({ amount: 1 }));
      await w.svc.services.runner.runDueOnce();
      neutron.fault('DELETE /v2.0/floatingips/{id}', { status: 409 });
      await end(1);
      expect((await get(l.id)).reservations[0]).toMatchObject({ floatingips_status: 'delete_failed' });
      await w.runEvents(3);
      expect((await get(l.id)).status).toBe('TERMINATED');
      expect((await sent('reservation.floatingip.')).map((n) => n.type)).toEqual([
        'reservation.floatingip.created', 'reservation.floatingip.delete_failed', 'reservation.floatingip.deleted',
      ]);
    });
  });
});
