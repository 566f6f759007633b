/**
 * virtual:stack leases with [compute] driver = nova, against the fake Nova/Placement and the fake Heat with the
 * real clients, on SQLite and MariaDB: what the start makes (the reservation's flavor and aggregate, then the
 * stack with the flavor and the reservation id as parameters), what the end removes, the notifications that
 * come with each stack status, and updates before and after the start.
 */
import request from 'supertest';
import { stackTag } from '../../../src/plugins/virtual-stack';
import { DIALECTS } from '../../support/database';
import { ADMIN_CTX, expectNothingLeft, stackWorld, TEMPLATE, type StackWorld } from './world';

jest.setTimeout(60_000);

describe.each(DIALECTS)('stack leases in Heat on %s', (dialect) => {
  let w: StackWorld;
  beforeEach(async () => { w = await stackWorld({ dialect }); });
  afterEach(async () => { await w.close(); });

  const get = (id: string) => w.svc.services.leases.get(ADMIN_CTX, id);

  it('start creates the stack on the reservation\'s flavor; end deletes it and waits until it is gone', async () => {
    w.heat.createDelayMs = 40;
    w.heat.deleteDelayMs = 40;
    const created = await request(w.svc.app).post('/v1/leases').send(w.lease('full', { parameters: { size: 3 } }));
    expect(created.status).toBe(201);
    const pending = created.body.lease.reservations[0];
    expect(pending).toMatchObject({
      resource_type: 'virtual:stack', stack_name: 'stack-full', amount: 3, vcpus: 2, memory_mb: 4096, disk_gb: 20, sizing: 'flavor',
      stack_id: null, stack_status: null, on_start: 'create', on_end: 'delete', template: TEMPLATE,
    });
    const rid = pending.id as string;
    const leaseId = created.body.lease.id as string;

    await w.svc.services.runner.runDueOnce();
    const started = await get(leaseId);
    expect(started.status).toBe('ACTIVE');
    const r = started.reservations[0];
    const [stack] = w.heat.live();
    expect(stack).toMatchObject({
      name: 'stack-full', projectId: created.body.lease.project_id, status: 'CREATE_COMPLETE', tags: [stackTag(rid)], disableRollback: true, timeoutMins: 1,
    });
    expect(r).toMatchObject({ stack_id: stack.id, stack_status: 'CREATE_COMPLETE', flavor_id: rid });
    // The template's own parameters as given, plus the two Climate sets because the template declares them.
    const post = w.heat.calls('POST /stacks')[0].body as Record<string, unknown>;
    expect(post.parameters).toEqual({ size: 3, reservation_flavor: rid, reservation_id: rid });
    expect(post.template).toBe(TEMPLATE);
    // Heat made the servers on the reservation's flavor, which Nova has with the slot size.
    expect([...w.fake.servers.values()].map((s) => s.flavorId)).toEqual([rid, rid, rid]);
    expect(w.fake.flavors.get(rid)).toMatchObject({ vcpus: 2, ram: 4096, disk: 20, isPublic: false });
    // Shown by the API too.
    const shown = await request(w.svc.app).get(`/v1/leases/${leaseId}`);
    expect(shown.body.lease.reservations[0]).toMatchObject({ stack_id: stack.id, stack_status: 'CREATE_COMPLETE', stack_status_reason: expect.any(String) });

    await w.end();
    const ended = await get(leaseId);
    expect(ended.status).toBe('TERMINATED');
    expect(ended.reservations[0]).toMatchObject({ stack_id: stack.id, stack_status: 'DELETE_COMPLETE' });
    expect(w.heat.calls('DELETE /stacks/{name}/{id}')).toHaveLength(1);
    // Waited for the deletion: Heat was asked again until the stack was gone.
    expect(w.heat.calls('GET /stacks/{name}/{id}').length).toBeGreaterThan(1);
    expectNothingLeft(w, rid);

    const notes = await w.notifications(leaseId);
    const stackNotes = notes.filter((n) => n.type.startsWith('reservation.stack.'));
    expect(stackNotes.map((n) => [n.type, n.priority, n.payload.stack_status])).toEqual([
      ['reservation.stack.created', 'INFO', 'CREATE_COMPLETE'],
      ['reservation.stack.deleted', 'INFO', 'DELETE_COMPLETE'],
    ]);
    expect(stackNotes[0].payload).toMatchObject({
      lease_id: leaseId, reservation_id: rid, project_id: created.body.lease.project_id, stack_id: stack.id, stack_name: 'stack-full',
    });
    // In the order of the changes they announce, between the lease's own.
    expect(notes.map((n) => n.type)).toEqual(['lease.create', 'reservation.stack.created', 'lease.event.start_lease',
      'reservation.stack.deleted', 'lease.event.end_lease']);
  });

  it('a template whose servers use a plain flavor still gets a stack; only declared parameters are passed', async () => {
    const template = 'heat_template_version: 2018-08-31\nresources:\n  one: {type: OS::Nova::Server, properties: {flavor: m1.large, image: cirros}}\n';
    const lease = await w.svc.services.leases.create(ADMIN_CTX, w.lease('plain', { template }));
    expect(lease.reservations[0]).toMatchObject({ amount: 1, vcpus: 4, memory_mb: 8192, disk_gb: 40 });
    await w.svc.services.runner.runDueOnce();
    expect((await get(lease.id)).status).toBe('ACTIVE');
    expect((w.heat.calls('POST /stacks')[0].body as Record<string, unknown>).parameters).toEqual({});
  });

  it('a stack that fails to create puts the lease in ERROR with Heat\'s reason; the end still removes everything', async () => {
    w.heat.failCreates = 100;
    const lease = await w.svc.services.leases.create(ADMIN_CTX, w.lease('broken'));
    const rid = lease.reservations[0].id as string;
    await w.runEvents(6);
    const failed = await get(lease.id);
    expect(failed.status).toBe('ERROR');
    expect(failed.status_reason).toContain(w.heat.failReason);
    expect(failed.status_reason).toMatch(/^start_lease failed after 4 attempt\(s\): Heat could not create stack "stack-broken"/);
    expect(failed.reservations[0]).toMatchObject({ stack_status: 'CREATE_FAILED', stack_status_reason: w.heat.failReason });
    // Each retry deleted the failed stack and made it again: four creates, one failed stack left for the owner to look at.
    expect(w.heat.calls('POST /stacks')).toHaveLength(4);
    expect(w.heat.live().map((s) => s.status)).toEqual(['CREATE_FAILED']);
    const notes = await w.notifications(lease.id);
    const failures = notes.filter((n) => n.type === 'reservation.stack.create_failed');
    expect(failures).toHaveLength(4);
    expect(failures.every((n) => n.priority === 'ERROR' && n.payload.stack_status_reason === w.heat.failReason)).toBe(true);
    expect(notes.map((n) => n.type)).toContain('lease.error');

    await w.end();
    expect((await get(lease.id)).status).toBe('TERMINATED');
    expectNothingLeft(w, rid);
  });

  it('a create that fails once is deleted and made again by the retry', async () => {
    w.heat.failCreates = 1;
    const lease = await w.svc.services.leases.create(ADMIN_CTX, w.lease('flaky'));
    await w.svc.services.runner.runDueOnce();
    expect((await get(lease.id)).status).toBe('STARTING');
    await w.runEvents(3);
    const active = await get(lease.id);
    expect(active.status).toBe('ACTIVE');
    const live = w.heat.live();
    expect(live.map((s) => s.status)).toEqual(['CREATE_COMPLETE']);
    expect(active.reservations[0].stack_id).toBe(live[0].id);
    expect(w.heat.calls('POST /stacks')).toHaveLength(2);
    expect(w.heat.calls('DELETE /stacks/{name}/{id}')).toHaveLength(1);
    expect((await w.notifications(lease.id)).map((n) => n.type).filter((t) => t.startsWith('reservation.stack.')))
      .toEqual(['reservation.stack.create_failed', 'reservation.stack.created']);
  });

  it('an end whose delete fails in Heat (DELETE_FAILED) says so and is retried to completion', async () => {
    const lease = await w.svc.services.leases.create(ADMIN_CTX, w.lease('sticky'));
    const rid = lease.reservations[0].id as string;
    await w.svc.services.runner.runDueOnce();
    w.heat.failDeletes = 1;
    await w.end();
    const stuck = await get(lease.id);
    expect(stuck.status).toBe('TERMINATING');
    expect(stuck.reservations[0]).toMatchObject({ stack_status: 'DELETE_FAILED' });
    await w.runEvents(3);
    expect((await get(lease.id)).status).toBe('TERMINATED');
    expectNothingLeft(w, rid);
    const types = (await w.notifications(lease.id)).map((n) => n.type).filter((t) => t.startsWith('reservation.stack.'));
    expect(types).toEqual(['reservation.stack.created', 'reservation.stack.delete_failed', 'reservation.stack.deleted']);
  });

  it('deleting an active lease deletes its stack and the reservation\'s flavor', async () => {
    const lease = await w.svc.services.leases.create(ADMIN_CTX, w.lease('deleted'));
    const rid = lease.reservations[0].id as string;
    await w.svc.services.runner.runDueOnce();
    expect(w.heat.live()).toHaveLength(1);
    await w.svc.services.leases.delete(ADMIN_CTX, lease.id);
    expectNothingLeft(w, rid);
  });

  it('a stack of that name the reservation did not make is left alone and fails the start clearly', async () => {
    const stranger = await request(w.heat.url).post('/v1/p1/stacks')
      .send({ stack_name: 'stack-taken', template: { heat_template_version: '2018-08-31', resources: {} } });
    expect(stranger.status).toBe(201);
    const lease = await w.svc.services.leases.create(ADMIN_CTX, w.lease('taken'));
    await w.runEvents(6);
    const failed = await get(lease.id);
    expect(failed.status).toBe('ERROR');
    expect(failed.status_reason).toMatch(/Project p1 already has a Heat stack named "stack-taken" .* that reservation .* did not make/);
    expect(w.heat.live().map((s) => s.id)).toEqual([stranger.body.stack.id]);
    expect(w.heat.calls('DELETE /stacks/{name}/{id}')).toEqual([]);
  });

  it('before the start a PUT may change the parameters (capacity counted again); after it only on_end', async () => {
    const lease = await w.svc.services.leases.create(ADMIN_CTX, { ...w.lease('updated'), start_date: '2030-01-01 12:30' });
    const rid = lease.reservations[0].id as string;
    const put = (body: Record<string, unknown>) => request(w.svc.app).put(`/v1/leases/${lease.id}`).send(body);
    const grown = await put({ reservations: [{ id: rid, parameters: { size: 5 } }] });
    expect(grown.status).toBe(200);
    expect(grown.body.lease.reservations[0]).toMatchObject({ parameters: { size: 5 }, amount: 5 });
    const tooMany = await put({ reservations: [{ id: rid, parameters: { size: 9 } }] });
    expect(tooMany.status).toBe(409);
    expect(tooMany.body.error_message).toMatch(/Not enough capacity for virtual:stack stack "stack-updated" \(9 server\(s\)/);

    w.clock.set(new Date('2030-01-01T12:30:00Z'));
    await w.svc.services.runner.runDueOnce();
    expect((await get(lease.id)).status).toBe('ACTIVE');
    expect(w.fake.servers.size).toBe(5);
    const late = await put({ reservations: [{ id: rid, parameters: { size: 6 } }] });
    expect(late.status).toBe(409);
    expect(late.body.error_message).toMatch(/Cannot change parameters of a virtual:stack reservation whose lease has started/);
    const keep = await put({ reservations: [{ id: rid, on_end: 'none' }] });
    expect(keep.status).toBe(200);
    expect(keep.body.lease.reservations[0].on_end).toBe('none');
  });
});
