/**
 * Malformed-input fuzzing of every write endpoint (and a few URLs and query strings): over a thousand requests,
 * each wrong by construction (test/support/fuzz.ts), against a database holding hosts, leases, a private
 * property and a floating IP. Every answer must be a 4xx with Blazar's error body, and the database must be
 * exactly as it was. Replay another seed with CLIMATE_FUZZ_SEED=<n>.
 */
import request from 'supertest';
import { ManualClock } from '../../src/common';
import { ENGINES } from '../support/database';
import { dumpDatabase } from '../support/fuzz-db';
import { generateMalformedRequests, systematicMalformedRequests, validBaseRequests, type FuzzFixtures, type FuzzRequest } from '../support/fuzz';
import { startTestService, type TestService } from '../support/service';
import { createHost, createLease, hostReservation, leaseBody, member, REQUEST_ID } from './helpers';

const SEED = Number(process.env.CLIMATE_FUZZ_SEED ?? 20290601);
const RANDOM_REQUESTS = 1100;

function send(svc: TestService, r: FuzzRequest): request.Test {
  let req = request(svc.app)[r.method](r.path);
  if (r.contentType) req = req.set('Content-Type', r.contentType);
  if (r.body !== undefined) req = req.send(r.body);
  return req;
}

/** What is wrong with a response to a malformed request, or null when it is a proper refusal. */
function problem(res: request.Response): string | null {
  if (res.status < 400 || res.status >= 500) return `status ${res.status}`;
  if (!/^application\/json/.test(String(res.headers['content-type']))) return `content-type ${res.headers['content-type']}`;
  const body = res.body as Record<string, unknown>;
  if (Object.keys(body).sort().join(',') !== 'error_code,error_message,error_name') return 'not a Blazar error body';
  if (body.error_code !== res.status || body.error_name !== res.status) return 'error_code/error_name differ from the status';
  if (typeof body.error_message !== 'string' || body.error_message.trim() === '') return 'empty error_message';
  if (!REQUEST_ID.test(String(res.headers['x-openstack-request-id']))) return 'no request id';
  if (res.status === 405 && !res.headers.allow) return '405 without Allow';
  return null;
}

describe.each(ENGINES)('malformed input on %s', (dialect) => {
  let svc: TestService;
  let fx: FuzzFixtures;

  beforeAll(async () => {
    svc = await startTestService({ dialect, clock: new ManualClock(new Date('2029-06-01T10:00:00Z')) });
    const app = svc.app;
    const h1 = await createHost(app, { name: 'f-h1', vcpus: 4, gpu: 'True', rack: 'r1' });
    const h2 = await createHost(app, { name: 'f-h2', vcpus: 8, gpu: 'False', rack: 'r2' });
    const h3 = await createHost(app, { name: 'f-h3', vcpus: 16, gpu: true, rack: 'r3', ram_gb: 64 });
    const own = await createLease(app, leaseBody('fx-own', {
      start_date: '2034-01-01 00:00', end_date: '2034-01-02 00:00', reservations: [hostReservation({ resource_properties: '["==", "$rack", "r1"]' })],
    }));
    await createLease(app, leaseBody('fx-second', {
      start_date: '2034-01-01 00:00', end_date: '2034-01-03 00:00', reservations: [hostReservation({ hypervisor_properties: '["==", "$hypervisor_hostname", "f-h2"]' })],
    }));
    await createLease(app, leaseBody('fx-empty'));
    const foreign = await createLease(app, leaseBody('fx-foreign', {
      start_date: '2034-01-01 00:00', end_date: '2034-01-02 00:00', reservations: [hostReservation({ hypervisor_properties: '[">=", "$vcpus", 16]' })],
    }), member('other-project'));
    await request(app).patch('/v1/os-hosts/properties/ram_gb').send({ private: true }).expect(200);
    const ip = await request(app).post('/v1/floatingips').send({ floating_network_id: '7f0c2a44-3e1b-4c1d-8a55-2b9d6e4f1a20', floating_ip_address: '172.24.4.10' });
    expect(ip.status).toBe(201);
    fx = {
      leaseId: own.id,
      reservationId: own.reservations[0].id,
      foreignReservationId: foreign.reservations[0].id,
      leaseNames: ['fx-own', 'fx-second', 'fx-empty'],
      hostIds: [h1.id, h2.id, h3.id],
      hostNames: ['f-h1', 'f-h2', 'f-h3'],
      guardedHost: { id: h1.id, key: 'rack', breakingValue: 'r9' },
      properties: ['gpu', 'rack', 'ram_gb'],
      floatingIp: { networkId: ip.body.floatingip.floating_network_id, address: ip.body.floatingip.floating_ip_address },
    };
  });
  afterAll(async () => { await svc.close(); });

  it(`refuses every malformed request with a 4xx Blazar error and changes nothing (seed ${SEED})`, async () => {
    const before = await dumpDatabase(svc.services.db);
    expect(Object.keys(before)).toEqual(expect.arrayContaining(['leases', 'reservations', 'events', 'hosts', 'computehost_allocations', 'notifications']));
    expect(before.leases).toHaveLength(4);

    const requests = [...systematicMalformedRequests(fx), ...generateMalformedRequests(SEED, fx, RANDOM_REQUESTS)];
    expect(requests.length).toBeGreaterThanOrEqual(1000);
    const failures: Record<string, unknown>[] = [];
    const statuses = new Map<number, number>();
    for (const r of requests) {
      const res = await send(svc, r);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const wrong = problem(res);
      if (wrong) {
        failures.push({
          wrong, label: r.label, request: `${r.method.toUpperCase()} ${r.path.slice(0, 120)}`, body: r.body?.slice(0, 300),
          response: res.text.slice(0, 300),
        });
      }
    }
    expect(failures).toEqual([]);
    expect(await dumpDatabase(svc.services.db)).toEqual(before);
    // Most requests must be refused by validation (400), not by routing: otherwise the generator lost its aim.
    expect((statuses.get(400) ?? 0) / requests.length).toBeGreaterThan(0.7);
    expect([...statuses.keys()].sort()).toEqual(expect.arrayContaining([400, 404, 409, 413]));
  }, 180_000);

  it('accepts the valid requests the malformed ones were made from', async () => {
    for (const r of validBaseRequests(fx)) {
      const res = await send(svc, { ...r, contentType: 'application/json' });
      expect({ label: r.label, status: res.status }).toEqual({ label: r.label, status: r.method === 'post' ? 201 : 200 });
    }
  });
});
