/**
 * The capacity a stack reservation holds, through the API on SQLite and MariaDB: instance slots of the size of
 * the template's flavors (or the explicit size), shared with virtual:instance reservations without double
 * booking; a 409 saying what is short; a 400 naming the resource of a template Climate cannot size.
 */
import request from 'supertest';
import { DIALECTS } from '../../support/database';
import { stackWorld, type StackWorld } from './world';

jest.setTimeout(60_000);

const instanceLease = (name: string, amount: number) => ({
  name, start_date: 'now', end_date: '2030-01-01 13:00',
  reservations: [{ resource_type: 'virtual:instance', amount, vcpus: 2, memory_mb: 4096, disk_gb: 20, affinity: null }],
});

describe.each(DIALECTS)('stack capacity on %s', (dialect) => {
  let w: StackWorld;
  beforeAll(async () => { w = await stackWorld({ dialect }); });
  afterAll(async () => { await w.close(); });
  afterEach(async () => {
    for (const lease of (await request(w.svc.app).get('/v1/leases')).body.leases) {
      await request(w.svc.app).delete(`/v1/leases/${lease.id}`).expect(204);
    }
  });

  const post = (body: Record<string, unknown>) => request(w.svc.app).post('/v1/leases').send(body);

  it('holds as many m1.small slots as the template has servers, and refuses more than the hosts have (409)', async () => {
    const ok = await post(w.lease('eight', { parameters: { size: 8 } }));
    expect(ok.status).toBe(201);
    expect(ok.body.lease.reservations[0]).toMatchObject({ amount: 8, vcpus: 2, memory_mb: 4096, disk_gb: 20 });
    const more = await post(w.lease('one-more', { parameters: { size: 1 } }));
    expect(more.status).toBe(409);
    expect(more.body.error_message).toMatch(/^Not enough capacity for virtual:stack stack "stack-one-more" \(1 server\(s\) of 2 vCPU, 4096 MB RAM, 20 GB disk\): asked for 1 instance/);
  });

  it('shares the slots with virtual:instance reservations both ways', async () => {
    expect((await post(instanceLease('six', 6))).status).toBe(201);
    const three = await post(w.lease('three', { parameters: { size: 3 } }));
    expect(three.status).toBe(409);
    expect(three.body.error_message).toMatch(/; 2 reservable host\(s\), 2 free slot\(s\) on 1 host\(s\) then$/);
    expect((await post(w.lease('two', { parameters: { size: 2 } }))).status).toBe(201);
    expect((await post(instanceLease('none-left', 1))).status).toBe(409);
  });

  it('sizes every slot as the largest flavor of the template', async () => {
    const template = `heat_template_version: 2018-08-31
resources:
  small: {type: OS::Nova::Server, properties: {flavor: m1.small, image: cirros}}
  big: {type: OS::Heat::AutoScalingGroup, properties: {min_size: 1, max_size: 3, resource: {type: OS::Nova::Server, properties: {flavor: "2", image: cirros}}}}
`;
    const res = await post(w.lease('mixed', { template }));
    expect(res.status).toBe(201);
    expect(res.body.lease.reservations[0]).toMatchObject({ amount: 4, vcpus: 4, memory_mb: 8192, disk_gb: 40, sizing: 'flavor' });
    // Two m1.large slots per host: the four above fill them.
    expect((await post(w.lease('full', { template: template.replace('max_size: 3', 'max_size: 1') }))).status).toBe(409);
  });

  it('an explicit size replaces the flavors\'', async () => {
    const res = await post(w.lease('explicit', { parameters: { size: 2 }, vcpus: 8, memory_mb: 16384, disk_gb: 100 }));
    expect(res.status).toBe(201);
    expect(res.body.lease.reservations[0]).toMatchObject({ amount: 2, vcpus: 8, sizing: 'explicit' });
    expect((await post(w.lease('explicit-more', { parameters: { size: 1 }, vcpus: 1, memory_mb: 1, disk_gb: 1 }))).status).toBe(409);
  });

  it.each([
    ['an autoscaling group whose max_size comes from get_attr', {
      template: 'heat_template_version: 2018-08-31\nresources:\n  asg:\n    type: OS::Heat::AutoScalingGroup\n    properties:\n      max_size: {get_attr: [x, y]}\n      resource: {type: OS::Nova::Server, properties: {flavor: m1.small}}\n',
    }, /resource "asg" \(OS::Heat::AutoScalingGroup\): get_attr cannot be resolved before the stack exists/],
    ['a nested template', { template: 'heat_template_version: 2018-08-31\nresources:\n  web: {type: web.yaml}\n' },
      /resource "web" \(web\.yaml\): it is a nested template/],
    ['a flavor Nova does not have', { template: 'heat_template_version: 2018-08-31\nresources:\n  web: {type: OS::Nova::Server, properties: {flavor: m9.huge}}\n' },
      /resource "web": flavor "m9\.huge" is not a flavor Nova knows/],
    ['a parameter the template does not declare', { parameters: { colour: 'red' } }, /"colour" is not a parameter of the template/],
  ])('refuses %s with a 400 that says which', async (_what, extra, message) => {
    const res = await post(w.lease('bad', extra));
    expect(res.status).toBe(400);
    expect(res.body.error_message).toMatch(message);
    expect((await request(w.svc.app).get('/v1/leases')).body.leases).toEqual([]);
  });
});
