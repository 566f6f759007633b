import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { createLogger, silentLogger } from '../../../src/common';
import { PeriodicJob } from '../../../src/manager';
import { member } from '../../api/helpers';
import { DIALECTS } from '../../support/database';
import { novaWorld, type NovaWorld } from './world';

jest.setTimeout(120_000);

const REQUEST_ID = /^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe.each(DIALECTS)('request ids forwarded to Nova, and the manager\'s lines (compute driver nova, %s)', (dialect) => {
  const lines: string[] = [];
  let w: NovaWorld;
  beforeAll(async () => {
    w = await novaWorld({ nova: { requestTimeoutMs: 30_000 } }, (fake) => { fake.addHypervisor('compute-1'); fake.addHypervisor('compute-2'); },
      { dialect, logger: createLogger({ level: 'debug', write: (line) => lines.push(line) }) });
  });
  afterAll(async () => { await w.close(); });

  const novaIdsSince = (mark: number) => new Set(w.fake.requests.slice(mark).map((r) => r.headers['x-openstack-request-id']));

  it("sends the caller's X-OpenStack-Request-ID to Nova as the global request id", async () => {
    const global = `req-${randomUUID()}`;
    const mark = w.fake.requests.length;
    const res = await request(w.svc.app).post('/v1/os-hosts').set('X-OpenStack-Request-ID', global).send({ name: 'compute-1' });
    expect(res.status).toBe(201);
    expect(w.fake.requests.length).toBeGreaterThan(mark);
    expect(novaIdsSince(mark)).toEqual(new Set([global]));
    expect(res.headers['x-openstack-request-id']).not.toBe(global);
  });

  it("sends Climate's own request id when the caller sent none", async () => {
    const mark = w.fake.requests.length;
    const res = await request(w.svc.app).post('/v1/os-hosts').send({ name: 'compute-2' });
    expect(res.status).toBe(201);
    expect(novaIdsSince(mark)).toEqual(new Set([res.headers['x-openstack-request-id']]));
  });

  it('runs each lease event under one request id of its own: its lines carry it with the lease and event ids, Nova gets it, '
    + 'and "ACTIVE" names the hosts', async () => {
    const created = await request(w.svc.app).post('/v1/leases').set({ ...member('p1'), 'X-Roles': 'admin' }).send({
      name: 'ids', start_date: '2030-01-01 12:30', end_date: '2030-01-01 13:30',
      reservations: [{ resource_type: 'physical:host', min: 2, max: 2, hypervisor_properties: '', resource_properties: '' }],
    });
    expect(created.status).toBe(201);
    const leaseId = created.body.lease.id as string;
    const startEvent = (await w.svc.services.repos.events.listByLeases([leaseId])).find((e) => e.eventType === 'start_lease')!;
    w.clock.set(new Date('2030-01-01T12:31:00Z'));
    const mark = w.fake.requests.length;
    const logMark = lines.length;
    expect(await w.svc.services.runner.runDueOnce()).toBe(1);

    const active = lines.slice(logMark).filter((l) => l.includes(`lease ${leaseId} is ACTIVE (start_lease)`));
    expect(active).toHaveLength(1);
    const runId = /\[(req-[^\] ]+)\]/.exec(active[0])![1];
    expect(runId).toMatch(REQUEST_ID);
    expect(active[0]).toMatch(/, hosts: compute-1[^,]*, compute-2/);
    const fields = JSON.parse(active[0].slice(active[0].indexOf(' {"')));
    expect(fields).toEqual(expect.objectContaining({ lease_id: leaseId, event_id: startEvent.id, hosts: [expect.stringMatching(/^compute-1/), expect.stringMatching(/^compute-2/)] }));
    // Every line the run wrote (the runner's, the lifecycle's, Nova's) carries the run's id and the lease id.
    const run = lines.slice(logMark).filter((l) => l.includes(runId));
    expect(run.length).toBeGreaterThanOrEqual(2);
    expect(run).toContainEqual(expect.stringMatching(new RegExp(`INFO climate\\.manager \\[${runId}\\] running start_lease of lease ${leaseId} \\(due 2030-01-01T12:30:00\\.000Z, 60\\.0 s late, attempt 1\\)`)));
    for (const line of run) expect(line).toContain(`"lease_id":"${leaseId}"`);
    // Nova saw the same id for every call of the run (host moves between aggregates).
    expect(w.fake.requests.length).toBeGreaterThan(mark);
    expect(novaIdsSince(mark)).toEqual(new Set([runId]));
  });

  it('gives each pass of a periodic job (host healing) one request id, which Nova sees on all its calls', async () => {
    const mark = w.fake.requests.length;
    let passes = 0;
    const job = new PeriodicJob('host-healing', 3600_000, async () => { await w.svc.services.healer!.runOnce(); passes++; }, silentLogger);
    job.start();
    const deadline = Date.now() + 60_000;
    while (passes < 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    await job.stop();
    expect(passes).toBe(1);
    const ids = novaIdsSince(mark);
    expect(w.fake.requests.length).toBeGreaterThan(mark + 1);
    expect(ids.size).toBe(1);
    expect([...ids][0]).toMatch(REQUEST_ID);
  });
});
