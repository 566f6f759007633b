/**
 * Blazar's usage enforcement filters (issue 16, part 1): MaxLeaseDurationFilter and ExternalServiceFilter, on
 * create and update, through the API on both engines. A refused lease writes nothing: no lease, no allocation,
 * no notification.
 */
import request from 'supertest';
import { ManualClock, silentLogger } from '../../src/common';
import { OnEndSender } from '../../src/enforcement';
import { DIALECTS } from '../support/database';
import { FakeEnforcementService } from '../support/enforcement-service';
import { FakeKeystone } from '../support/keystone-fake';
import { startTestService, type TestService } from '../support/service';
import { ADMIN, allocationsOfLease, createHost, createLease, expectError, hostReservation, leaseBody, member } from './helpers';

const NOW = new Date('2029-06-01T10:00:00Z');
const ALPHA = member('alpha', 'alice');
const EXEMPT = member('exempt-project');
const DAY = 86_400;

/** Everything a create could have written: the leases, the allocations of every host, the unsent notifications. */
async function written(svc: TestService) {
  const leases = (await request(svc.app).get('/v1/leases').set(ADMIN)).body.leases as { id: string; name: string; end_date: string }[];
  const allocations = (await request(svc.app).get('/v1/os-hosts/allocations').set(ADMIN)).body.allocations;
  return { leases: leases.map((l) => ({ id: l.id, name: l.name, end_date: l.end_date })), allocations, unsent: await svc.services.repos.outbox.countUnsent() };
}

describe.each(DIALECTS)('MaxLeaseDurationFilter on %s', (dialect) => {
  let svc: TestService;
  let clock: ManualClock;

  beforeAll(async () => {
    clock = new ManualClock(NOW);
    svc = await startTestService({
      dialect, clock, config: {
        enforcement: {
          enabledFilters: ['MaxLeaseDurationFilter'], maxLeaseDurationSeconds: DAY,
          maxLeaseDurationExemptProjectIds: ['exempt-project'], reservationExtensionWindowSeconds: 3600,
        },
      },
    });
    await createHost(svc.app, { name: 'h1' });
  });
  afterAll(async () => { await svc.close(); });

  it('refuses a create longer than max_lease_duration with 403 and writes nothing', async () => {
    const before = await written(svc);
    const res = await request(svc.app).post('/v1/leases').set(ALPHA).send(leaseBody('too-long', {
      start_date: '2030-01-01 12:00', end_date: '2030-01-02 12:01', reservations: [hostReservation()],
    }));
    expectError(res, 403, 'Lease duration of 86460 seconds must be less than or equal to the maximum lease duration of 86400 seconds.');
    expect(await written(svc)).toEqual(before);
  });

  it('accepts a lease of exactly the limit, and any length from an exempt project', async () => {
    const atLimit = await createLease(svc.app, leaseBody('at-limit', { start_date: '2030-02-01 12:00', end_date: '2030-02-02 12:00' }), ALPHA);
    const long = await createLease(svc.app, leaseBody('exempt', { start_date: '2030-02-01 12:00', end_date: '2030-02-20 12:00' }), EXEMPT);
    expect([atLimit.name, long.name]).toEqual(['at-limit', 'exempt']);
    // The exempt project may also prolong it as it likes.
    const res = await request(svc.app).put(`/v1/leases/${long.id}`).set(EXEMPT).send({ end_date: '2030-03-20 12:00' });
    expect(res.status).toBe(200);
  });

  it('applies the same rule to updates, but lets a lease shrink or change without lengthening', async () => {
    const lease = await createLease(svc.app, leaseBody('update-me', {
      start_date: '2030-03-01 12:00', end_date: '2030-03-02 00:00', reservations: [hostReservation()],
    }), ALPHA);
    const before = await written(svc);
    const allocations = await allocationsOfLease(svc.app, lease.id);
    // Moving the start earlier makes it longer than the limit.
    const refused = await request(svc.app).put(`/v1/leases/${lease.id}`).set(ALPHA).send({ start_date: '2030-02-28 00:00' });
    expectError(refused, 403, 'Lease duration of 172800 seconds must be less than or equal to the maximum lease duration of 86400 seconds.');
    expect(await written(svc)).toEqual(before);
    expect(await allocationsOfLease(svc.app, lease.id)).toEqual(allocations);
    // So does a later end; with reservation_extension_window set, the refusal says when it may be prolonged.
    expectError(await request(svc.app).put(`/v1/leases/${lease.id}`).set(ALPHA).send({ end_date: '2030-03-03 00:00' }), 403,
      'Lease can only be extended within 3600 seconds of the lease\'s current end time.');
    expect(await written(svc)).toEqual(before);
    expect((await request(svc.app).put(`/v1/leases/${lease.id}`).set(ALPHA).send({ end_date: '2030-03-02 12:00' })).status).toBe(200);
    expect((await request(svc.app).put(`/v1/leases/${lease.id}`).set(ALPHA).send({ end_date: '2030-03-01 18:00' })).status).toBe(200);
  });

  it('lets a lease within reservation_extension_window of its end be prolonged by the limit again', async () => {
    const lease = await createLease(svc.app, { name: 'renewable', start_date: 'now', end_date: '2029-06-02 10:00', reservations: [] }, ALPHA);
    const put = (end: string) => request(svc.app).put(`/v1/leases/${lease.id}`).set(ALPHA).send({ end_date: end });
    expectError(await put('2029-06-03 10:00'), 403, 'Lease can only be extended within 3600 seconds of the lease\'s current end time.');
    clock.set(new Date('2029-06-02T09:30:00Z'));
    try {
      // A day more, counted from the current end: allowed although the lease then lasts two days.
      expectError(await put('2029-06-03 10:01'), 403,
        'Lease duration of 86460 seconds must be less than or equal to the maximum lease duration of 86400 seconds.');
      const res = await put('2029-06-03 10:00');
      expect(res.status).toBe(200);
      expect(res.body.lease.end_date).toBe('2029-06-03T10:00:00.000000');
      // The window moved with the end: the next renewal waits for it.
      expectError(await put('2029-06-03 12:00'), 403, /within 3600 seconds/);
    } finally {
      clock.set(NOW);
    }
  });
});

describe.each(DIALECTS)('ExternalServiceFilter on %s', (dialect) => {
  let svc: TestService;
  let clock: ManualClock;
  let hostId: string;
  const service = new FakeEnforcementService();

  beforeAll(async () => {
    await service.start();
    clock = new ManualClock(NOW);
    svc = await startTestService({
      dialect, clock, config: {
        manager: { eventRetryDelayMs: 60_000, eventMaxRetries: 2 },
        keystoneAuthtoken: { wwwAuthenticateUri: 'http://keystone.example.org:5000/v3' },
        enforcement: {
          enabledFilters: ['ExternalServiceFilter'], externalServiceEndpoint: `${service.url}/v1`,
          externalServiceCheckUpdate: `${service.url}/custom/update`,
          externalServiceToken: 'operator-token', externalServiceTimeoutMs: 1000,
        },
      },
    });
    hostId = (await createHost(svc.app, { name: 'h1', gpu: 'yes' })).id;
  });
  beforeEach(() => service.reset());
  afterAll(async () => {
    await svc.close();
    await service.stop();
  });

  /** Sends the on-end calls earlier tests queued (their leases were deleted), so a test sees only its own. */
  const drainOnEnd = async () => {
    await svc.services.onEndSender!.runOnce();
    service.reset();
  };
  const runEvents = async () => { while (await svc.services.runner.runDueOnce() > 0) { /* until nothing is due */ } };

  const create = (name: string) => request(svc.app).post('/v1/leases').set(ALPHA).send(leaseBody(name, {
    start_date: '2030-01-01 12:00', end_date: '2030-01-02 12:00', reservations: [hostReservation()],
  }));

  it('POSTs check-create with Blazar\'s body and the token, and creates the lease on 204', async () => {
    const res = await create('allowed');
    expect(res.status).toBe(201);
    expect(service.calls).toHaveLength(1);
    const [call] = service.calls;
    expect(call).toMatchObject({ method: 'POST', path: '/v1/check-create' });
    expect(call.headers['x-auth-token']).toBe('operator-token');
    expect(call.headers['content-type']).toBe('application/json');
    expect(call.body).toEqual({
      context: { user_id: 'alice', project_id: 'alpha', auth_url: 'http://keystone.example.org:5000/v3', region_name: null },
      lease: {
        id: res.body.lease.id, name: 'allowed', user_id: 'alice', project_id: 'alpha', status: 'PENDING',
        start_date: '2030-01-01 12:00:00', end_date: '2030-01-02 12:00:00', before_end_date: null,
        reservations: [{
          id: res.body.lease.reservations[0].id, resource_type: 'physical:host', status: 'pending',
          min: 1, max: 1, hypervisor_properties: '', resource_properties: '', before_end: 'default',
          allocations: [{ id: hostId, hypervisor_hostname: 'h1', vcpus: expect.any(Number), memory_mb: expect.any(Number),
            local_gb: expect.any(Number), availability_zone: null, extra: { gpu: 'yes' } }],
        }],
      },
    });
    await request(svc.app).delete(`/v1/leases/${res.body.lease.id}`).set(ALPHA).expect(204);
  });

  it.each([
    ['403 with a message', { status: 403, body: '{"message": "Project alpha has no allocation left"}' }, 403,
      'Project alpha has no allocation left'],
    ['500', { status: 500, body: '{"error": "boom"}' }, 400,
      'External service enforcement filter returned a 500 HTTP response. Only 204 and 403 responses are supported.'],
    ['200', { status: 200, body: '{}' }, 400,
      'External service enforcement filter returned a 200 HTTP response. Only 204 and 403 responses are supported.'],
    ['403 with malformed JSON', { status: 403, body: '{"message": ' }, 400,
      'External service enforcement filter returned a 403 HTTP response "{\\"message\\": " without a valid JSON dictionary containing a "message" key.'],
    ['403 without a message', { status: 403, body: '{"reason": "no"}' }, 400, /403 HTTP response .* without a valid JSON dictionary containing a "message" key/],
    ['no answer within the timeout', { status: 204, delayMs: 5000 }, 503,
      /^External service enforcement filter did not answer within 1 seconds: check-create at http:\/\/127\.0\.0\.1:\d+\/v1\/check-create$/],
  ])('refuses a create when the service answers %s, and writes nothing', async (_label, answer, status, message) => {
    service.answer('/v1/check-create', answer);
    const before = await written(svc);
    expectError(await create('refused'), status, message);
    expect(service.callsTo('/v1/check-create')).toHaveLength(1);
    expect(await written(svc)).toEqual(before);
  });

  it('POSTs check-update (to its own URL) with the current and the new lease, and keeps the lease as it was on 403', async () => {
    const lease = (await create('to-update')).body.lease;
    service.reset();
    service.answer('/custom/update', { status: 403, body: '{"message": "Not enough service units to extend"}' });
    const before = await written(svc);
    expectError(await request(svc.app).put(`/v1/leases/${lease.id}`).set(ALPHA).send({ end_date: '2030-01-03 12:00' }), 403,
      'Not enough service units to extend');
    expect(await written(svc)).toEqual(before);
    const [call] = service.calls;
    expect(call.path).toBe('/custom/update');
    const body = call.body as { current_lease: { end_date: string; reservations: unknown[] }; lease: { end_date: string; reservations: { allocations: unknown[] }[] } };
    expect([body.current_lease.end_date, body.lease.end_date]).toEqual(['2030-01-02 12:00:00', '2030-01-03 12:00:00']);
    expect(body.lease.reservations[0].allocations).toEqual([expect.objectContaining({ id: hostId, hypervisor_hostname: 'h1' })]);

    service.answer('/custom/update', { status: 204 });
    expect((await request(svc.app).put(`/v1/leases/${lease.id}`).set(ALPHA).send({ end_date: '2030-01-03 12:00' })).status).toBe(200);
    // A rename alone is not checked (as in Blazar).
    expect((await request(svc.app).put(`/v1/leases/${lease.id}`).set(ALPHA).send({ name: 'renamed' })).status).toBe(200);
    expect(service.calls.map((c) => c.path)).toEqual(['/custom/update', '/custom/update']);
    await request(svc.app).delete(`/v1/leases/${lease.id}`).set(ALPHA).expect(204);
  });

  it('sends on-end once a lease has ended, retrying failures without holding up the end', async () => {
    await drainOnEnd();
    const lease = await createLease(svc.app, { name: 'ends', start_date: 'now', end_date: '2029-06-01 11:00', reservations: [hostReservation()] }, ALPHA);
    clock.advance(1000);
    await runEvents();
    service.answer('/v1/on-end', { status: 500 });
    clock.set(new Date('2029-06-01T11:00:01Z'));
    try {
      await runEvents();
      // The end is done whatever the service says: the call waits in the database.
      expect((await request(svc.app).get(`/v1/leases/${lease.id}`).set(ALPHA)).body.lease.status).toBe('TERMINATED');
      expect(service.callsTo('/v1/on-end')).toHaveLength(0);
      const sender = svc.services.onEndSender!;
      expect(await sender.runOnce()).toBe(0);
      expect(service.callsTo('/v1/on-end')).toHaveLength(1);
      const [queued] = await svc.services.repos.enforcementCalls.listByLease(lease.id);
      expect(queued).toMatchObject({ kind: 'on-end', status: 'pending', attempts: 1,
        lastError: 'External service enforcement filter returned a 500 HTTP response. Only 204 and 403 responses are supported.' });
      // Not before its retry time (event_retry_delay), then again.
      expect(await sender.runOnce()).toBe(0);
      expect(service.callsTo('/v1/on-end')).toHaveLength(1);
      service.answer('/v1/on-end', { status: 204 });
      clock.advance(60_000);
      expect(await sender.runOnce()).toBe(1);
      const calls = service.callsTo('/v1/on-end');
      expect(calls).toHaveLength(2);
      expect(calls[1].body).toEqual(calls[0].body);
      expect(calls[1].body).toMatchObject({
        context: { user_id: 'alice', project_id: 'alpha' },
        lease: { id: lease.id, name: 'ends', status: 'TERMINATED', end_date: '2029-06-01 11:00:00',
          reservations: [{ resource_type: 'physical:host', status: 'deleted', allocations: [{ id: hostId, hypervisor_hostname: 'h1' }] }] },
      });
      expect((await svc.services.repos.enforcementCalls.listByLease(lease.id))[0]).toMatchObject({ status: 'sent', attempts: 2 });
      expect(await sender.runOnce()).toBe(0);
      expect(service.callsTo('/v1/on-end')).toHaveLength(2);
    } finally {
      clock.set(NOW);
    }
  });

  it('sends an on-end call once when two managers look for it at the same time', async () => {
    await drainOnEnd();
    const lease = (await create('two-managers')).body.lease;
    await request(svc.app).delete(`/v1/leases/${lease.id}`).set(ALPHA).expect(204);
    // Slow enough that both managers have read the call as due before the first has sent it.
    service.answer('/v1/on-end', { status: 204, delayMs: 300 });
    const { repos, enforcement } = svc.services;
    const other = new OnEndSender(repos.enforcementCalls, enforcement, clock, silentLogger, { maxRetries: 2, retryDelayMs: 60_000, claimMs: 60_000 });
    const sent = await Promise.all([svc.services.onEndSender!.runOnce(), other.runOnce()]);
    expect(sent.sort()).toEqual([0, 1]);
    expect(service.callsTo('/v1/on-end')).toHaveLength(1);
    expect(await repos.enforcementCalls.listByLease(lease.id)).toEqual([expect.objectContaining({ status: 'sent', attempts: 1 })]);
  });

  it('gives an on-end call up after [manager] event_max_retries, and says on-end for a lease deleted before its end', async () => {
    await drainOnEnd();
    const lease = (await create('deleted-early')).body.lease;
    service.answer('/v1/on-end', { status: 403, body: '{"message": "no"}' });
    await request(svc.app).delete(`/v1/leases/${lease.id}`).set(ALPHA).expect(204);
    const sender = svc.services.onEndSender!;
    try {
      for (let i = 0; i < 3; i++) {
        await sender.runOnce();
        clock.advance(10 * 60_000);
      }
      const calls = service.callsTo('/v1/on-end');
      expect(calls).toHaveLength(3);
      expect(calls[0].body).toMatchObject({ lease: { id: lease.id, status: 'PENDING', reservations: [{ allocations: [{ id: hostId }] }] } });
      expect(await svc.services.repos.enforcementCalls.listByLease(lease.id)).toEqual([
        expect.objectContaining({ status: 'failed', attempts: 3, lastError: 'no' }),
      ]);
      await sender.runOnce();
      expect(service.callsTo('/v1/on-end')).toHaveLength(3);
    } finally {
      clock.set(NOW);
    }
  });
});

describe('ExternalServiceFilter with Climate\'s Keystone token, and start-up refusals', () => {
  const service = new FakeEnforcementService();
  const keystone = new FakeKeystone();

  beforeAll(async () => {
    await service.start();
    await keystone.start();
  });
  afterAll(async () => {
    await service.stop();
    await keystone.stop();
  });

  it('sends the service user\'s token when external_service_token is empty', async () => {
    const su = keystone.serviceUser;
    const svc = await startTestService({
      config: {
        keystoneAuthtoken: { authUrl: keystone.url, username: su.name, password: su.password, projectName: su.project },
        enforcement: { enabledFilters: ['ExternalServiceFilter'], externalServiceEndpoint: service.url },
      },
    });
    try {
      await createLease(svc.app, leaseBody('with-service-token'), ALPHA);
      const [call] = service.calls;
      expect(call.path).toBe('/check-create');
      const token = keystone.tokens.get(String(call.headers['x-auth-token']));
      expect(token).toMatchObject({ userId: su.id, projectId: su.projectId });
      expect(call.body).toMatchObject({ context: { auth_url: keystone.url } });
    } finally {
      await svc.close();
    }
  });

  it.each([
    [{ enabledFilters: ['MaxLeaseDuration'] },
      '[enforcement] enabled_filters: unknown filter "MaxLeaseDuration" (available: MaxLeaseDurationFilter, ExternalServiceFilter)'],
    [{ enabledFilters: ['ExternalServiceFilter'], externalServiceToken: 't' },
      '[enforcement] ExternalServiceFilter needs external_service_endpoint (or external_service_check_create, _check_update or _on_end)'],
    [{ enabledFilters: ['ExternalServiceFilter'], externalServiceEndpoint: 'http://127.0.0.1:9/v1' },
      /^\[enforcement\] ExternalServiceFilter needs external_service_token, or Climate's service user/],
  ])('refuses to start with %j', async (enforcement, message) => {
    await expect(startTestService({ config: { enforcement } })).rejects.toThrow(message);
  });
});
