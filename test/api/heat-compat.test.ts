/**
 * Heat's OS::Blazar::Host and OS::Blazar::Lease against the API, with the bodies Heat sends (through
 * python-blazarclient) and the attributes Heat reads back.
 *
 * What Heat sends (heat/engine/resources/openstack/blazar/{host,lease}.py):
 * - Host: `name` plus the `extra_capability` map flattened in, its values typed as the template wrote them
 *   (numbers, booleans).
 * - Lease: the properties that are not null, with start/end handed to the client, which always adds
 *   `before_end_date` (null unless given) and `events` (Heat's default is []). Each reservation is a map with
 *   every key of its schema, null when the template left it out (`before_end` defaults to "default",
 *   `affinity` to false); keys of the other resource type are dropped.
 * - Before creating a lease Heat lists the hosts and refuses when there are none.
 *
 * What Heat reads: `GET /v1/leases/{id}` for the lease attributes (name, start_date, end_date, created_at,
 * updated_at, status, degraded, user_id, project_id, trust_id, reservations, events) and `GET /v1/os-hosts/{id}`
 * for the host attributes (hypervisor_hostname, hypervisor_type, hypervisor_version, vcpus, cpu_info, memory_mb,
 * local_gb, service_name, reservable, status, trust_id, extra_capability, created_at, updated_at); a missing key
 * is an error in the stack.
 */
import request from 'supertest';
import { ManualClock } from '../../src/common';
import { DIALECTS } from '../support/database';
import { startTestService, type TestService } from '../support/service';
import { expectError, expectSchema, LEASE_DATE, TIMESTAMP } from './helpers';

const LEASE_ATTRIBUTES = [
  'name', 'start_date', 'end_date', 'created_at', 'updated_at', 'status', 'degraded', 'user_id', 'project_id', 'trust_id',
  'reservations', 'events',
];
const HOST_ATTRIBUTES = [
  'hypervisor_hostname', 'hypervisor_type', 'hypervisor_version', 'vcpus', 'cpu_info', 'memory_mb', 'local_gb', 'service_name',
  'reservable', 'status', 'trust_id', 'extra_capability', 'created_at', 'updated_at',
];

/** A physical:host reservation as OS::Blazar::Lease sends it: every host key, null when not in the template. */
const heatHostReservation = (overrides: Record<string, unknown> = {}) => ({
  resource_type: 'physical:host', min: 1, max: 1, hypervisor_properties: null, resource_properties: null, before_end: 'default', ...overrides,
});
/** A virtual:instance reservation as OS::Blazar::Lease sends it (affinity defaults to false in Heat). */
const heatInstanceReservation = (overrides: Record<string, unknown> = {}) => ({
  resource_type: 'virtual:instance', amount: 1, vcpus: 1, memory_mb: 1024, disk_gb: 10, affinity: false, resource_properties: null, ...overrides,
});
const heatLease = (name: string, reservations: Record<string, unknown>[], overrides: Record<string, unknown> = {}) => ({
  name, start_date: '2030-01-01 12:00', end_date: '2030-01-02 12:00', reservations, events: [], before_end_date: null, ...overrides,
});

describe.each(DIALECTS)('Heat compatibility on %s', (dialect) => {
  let svc: TestService;
  const hostIds: string[] = [];

  beforeAll(async () => {
    svc = await startTestService({
      dialect, clock: new ManualClock(new Date('2029-06-01T10:00:00Z')), config: { manager: { plugins: ['physical:host', 'virtual:instance'] } },
    });
  });
  afterAll(async () => { await svc.close(); });

  describe('OS::Blazar::Host', () => {
    it('registers a host with typed extra capabilities and shows every attribute Heat reads', async () => {
      // extra_capability: {gpu: true, ram_gb: 64, ratio: 1.5, rack: r1, vcpus: 16, memory_mb: 65536, local_gb: 500}
      const body = { name: 'heat-1', gpu: true, nvme: false, ram_gb: 64, ratio: 1.5, rack: 'r1', vcpus: 16, memory_mb: 65536, local_gb: 500 };
      const created = await request(svc.app).post('/v1/os-hosts').set('Content-Type', 'application/json').send(JSON.stringify(body));
      expect(created.status).toBe(201);
      expectSchema(created.body, 'HostEnvelope');
      hostIds.push(created.body.host.id);

      const shown = await request(svc.app).get(`/v1/os-hosts/${created.body.host.id}`);
      expect(shown.status).toBe(200);
      expectSchema(shown.body, 'HostEnvelope');
      const host = shown.body.host;
      expect(Object.keys(host)).toEqual(expect.arrayContaining(HOST_ATTRIBUTES));
      expect(host).toMatchObject({
        hypervisor_hostname: 'heat-1', vcpus: 16, memory_mb: 65536, local_gb: 500, reservable: true, trust_id: null,
        hypervisor_type: null, hypervisor_version: null, cpu_info: null, service_name: null, status: null, updated_at: null,
      });
      expect(host.created_at).toMatch(TIMESTAMP);
      // The capabilities flattened in (as Blazar shows them) and as the map Heat's extra_capability attribute reads.
      const capabilities = { gpu: 'True', nvme: 'False', ram_gb: '64', ratio: '1.5', rack: 'r1' };
      expect(host).toMatchObject(capabilities);
      expect(host.extra_capability).toEqual(capabilities);
      // The list (Heat's "is there any host" check before a lease) shows it too.
      const list = await request(svc.app).get('/v1/os-hosts');
      expectSchema(list.body, 'HostList');
      expect(list.body.hosts.map((h: { id: string }) => h.id)).toContain(host.id);
    });

    it('refuses a capability named extra_capability (it would hide the map) and a nested value, with 400, registering nothing', async () => {
      const before = (await request(svc.app).get('/v1/os-hosts')).body.hosts.length;
      expectError(await request(svc.app).post('/v1/os-hosts').send({ name: 'heat-x', extra_capability: 'x' }), 400,
        /extra capability key "extra_capability": the name is reserved/);
      expectError(await request(svc.app).post('/v1/os-hosts').send({ name: 'heat-y', nested: { a: 1 } }), 400, /nested/);
      expectError(await request(svc.app).put(`/v1/os-hosts/${hostIds[0]}`).send({ extra_capability: 'x' }), 400,
        /extra capability key "extra_capability": the name is reserved/);
      expect((await request(svc.app).get(`/v1/os-hosts/${hostIds[0]}`)).body.host.extra_capability)
        .toEqual({ gpu: 'True', nvme: 'False', ram_gb: '64', ratio: '1.5', rack: 'r1' });
      expect((await request(svc.app).get('/v1/os-hosts')).body.hosts).toHaveLength(before);
    });

    it('a PUT keeps the map in step with the flattened capabilities', async () => {
      const res = await request(svc.app).put(`/v1/os-hosts/${hostIds[0]}`).send({ rack: 'r2', nvme: null, zone: 7 });
      expect(res.status).toBe(200);
      expectSchema(res.body, 'HostEnvelope');
      expect(res.body.host.extra_capability).toEqual({ gpu: 'True', ram_gb: '64', ratio: '1.5', rack: 'r2', zone: '7' });
      expect(res.body.host.nvme).toBeUndefined();
    });
  });

  describe('OS::Blazar::Lease', () => {
    beforeAll(async () => {
      const more = await request(svc.app).post('/v1/os-hosts').send({ name: 'heat-2', gpu: false, vcpus: 8, memory_mb: 16384, local_gb: 100 });
      expect(more.status).toBe(201);
      hostIds.push(more.body.host.id);
    });

    it('creates a physical:host lease from Heat\'s body (nulls, before_end, events with time) and shows every attribute Heat reads', async () => {
      const body = heatLease('heat-hosts', [heatHostReservation({ resource_properties: '["==", "$gpu", "True"]' })], {
        events: [{ event_type: 'notification', time: '2030-01-01 18:00' }],
      });
      const created = await request(svc.app).post('/v1/leases').set('Content-Type', 'application/json').send(JSON.stringify(body));
      expect(created.status).toBe(201);
      expectSchema(created.body, 'LeaseEnvelope');
      const shown = await request(svc.app).get(`/v1/leases/${created.body.lease.id}`);
      expect(shown.status).toBe(200);
      const lease = shown.body.lease;
      expect(Object.keys(lease)).toEqual(expect.arrayContaining(LEASE_ATTRIBUTES));
      expect(lease).toMatchObject({
        name: 'heat-hosts', status: 'PENDING', degraded: false, trust_id: null, updated_at: null,
        start_date: '2030-01-01T12:00:00.000000', end_date: '2030-01-02T12:00:00.000000',
      });
      expect(lease.created_at).toMatch(TIMESTAMP);
      expect(typeof lease.user_id).toBe('string');
      expect(typeof lease.project_id).toBe('string');
      expect(lease.reservations).toEqual([expect.objectContaining({
        resource_type: 'physical:host', status: 'pending', min: 1, max: 1, hypervisor_properties: '', resource_properties: '["==", "$gpu", "True"]',
        before_end: 'default',
      })]);
      expect(lease.events.map((e: { event_type: string; time: string }) => [e.event_type, e.time])).toEqual([
        ['start_lease', '2030-01-01T12:00:00.000000'],
        ['notification', '2030-01-01T18:00:00.000000'],
        ['before_end_lease', '2030-01-02T11:00:00.000000'],
        ['end_lease', '2030-01-02T12:00:00.000000'],
      ]);
      for (const e of lease.events) expect(e.time).toMatch(LEASE_DATE);
      // The one host with gpu = True.
      const allocations = await request(svc.app).get('/v1/os-hosts/allocations').query({ lease_id: lease.id });
      expect(allocations.body.allocations.filter((a: { reservations: unknown[] }) => a.reservations.length)
        .map((a: { resource_id: string }) => a.resource_id)).toEqual([hostIds[0]]);
    });

    it('creates a virtual:instance lease from Heat\'s body (JSON boolean affinity, null resource_properties)', async () => {
      const body = heatLease('heat-instances', [heatInstanceReservation({ amount: 2 })], {
        start_date: '2030-02-01 12:00', end_date: '2030-02-02 12:00',
      });
      const created = await request(svc.app).post('/v1/leases').send(body);
      expect(created.status).toBe(201);
      const lease = (await request(svc.app).get(`/v1/leases/${created.body.lease.id}`)).body.lease;
      expectSchema({ lease }, 'LeaseEnvelope');
      expect(lease.reservations).toEqual([expect.objectContaining({
        resource_type: 'virtual:instance', amount: 2, vcpus: 1, memory_mb: 1024, disk_gb: 10, affinity: false, resource_properties: '',
        flavor_id: null, server_group_id: null,
      })]);
      // A template's `affinity: true` arrives as a JSON true and is kept as one.
      const together = heatLease('heat-affinity', [heatInstanceReservation({ affinity: true })], {
        start_date: '2030-02-01 12:00', end_date: '2030-02-02 12:00',
      });
      const res = await request(svc.app).post('/v1/leases').send(together);
      expect(res.status).toBe(201);
      expect(res.body.lease.reservations[0].affinity).toBe(true);
    });

    it('refuses what Heat lets through but Blazar does not, with 400 and nothing created', async () => {
      const before = (await request(svc.app).get('/v1/leases')).body.leases.length;
      // Heat allows amount 0 and leaves min/max null when the template omits them.
      expectError(await request(svc.app).post('/v1/leases').send(heatLease('zero', [heatInstanceReservation({ amount: 0 })])), 400,
        /amount.*at least 1/);
      expectError(await request(svc.app).post('/v1/leases').send(heatLease('no-min', [heatHostReservation({ min: null })])), 400,
        /Missing parameter min/);
      expect((await request(svc.app).get('/v1/leases')).body.leases).toHaveLength(before);
    });
  });
});
