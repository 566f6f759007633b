/**
 * flavor:instance from the real OpenStack CLI (Debian's python3-blazarclient), against Climate with the fake
 * Nova. That client cannot send a flavor:instance create: its generic `--reservation` parser fails on any
 * value that is not a number (it exits 1 printing 'resource_type' without calling Climate), so the lease is made
 * over the API (as Heat or a newer client would); `lease show` prints it and `lease set --reservation` changes
 * its amount, or exits 1 with Climate's message.
 */
import request from 'supertest';
import { ensureOpenstackCli, OPENSTACK, run } from './cli-support';
import { ADMIN_CTX, novaWorld, type NovaWorld } from '../integration/nova/world';

jest.setTimeout(5 * 60_000);

describe('flavor:instance through openstack reservation', () => {
  let w: NovaWorld;
  const cli = (args: string[]) => run(OPENSTACK, ['--os-auth-type', 'none', '--os-endpoint', `${w.svc.url}/v1`, 'reservation', ...args],
    { timeout: 60_000 });

  beforeAll(async () => {
    await ensureOpenstackCli();
    w = await novaWorld({ manager: { plugins: ['flavor:instance'] } }, (fake) => {
      fake.addHypervisor('compute-1');
      // Nova's m1.medium: 2 vCPU, 4 GiB, 40 GB; 2 of them fit on a fake host (100 GB disk).
      fake.flavors.set('3', { id: '3', name: 'm1.medium', vcpus: 2, ram: 4096, disk: 40, isPublic: true, extraSpecs: {}, access: [] });
    }, { listen: true });
    await w.register('compute-1');
  });
  afterAll(async () => { await w?.close(); });

  it('shows the lease and sets its amount; a refusal exits 1 with Climate\'s message', async () => {
    // What python3-blazarclient would send for flavor_id=3,amount=1 had its parser not failed: numbers as numbers.
    const created = await request(w.svc.app).post('/v1/leases').send({
      name: 'cli-flavor', start_date: '2030-01-01 12:30', end_date: '2030-01-01 13:00',
      reservations: [{ resource_type: 'flavor:instance', flavor_id: 3, amount: 1 }],
    });
    expect(created.status).toBe(201);
    const rid = created.body.lease.reservations[0].id as string;

    const shown = await cli(['lease', 'show', 'cli-flavor', '-f', 'json']);
    expect(shown.code).toBe(0);
    const reservations = JSON.parse(JSON.parse(shown.stdout).reservations as string) as Record<string, unknown>;
    expect(reservations).toMatchObject({ id: rid, resource_type: 'flavor:instance', amount: 1, vcpus: 2, source_flavor: { id: '3', name: 'm1.medium' } });

    expect((await cli(['lease', 'set', '--reservation', `id=${rid},amount=2`, 'cli-flavor'])).code).toBe(0);
    expect((await w.svc.services.leases.get(ADMIN_CTX, created.body.lease.id)).reservations[0].amount).toBe(2);
    const tooMany = await cli(['lease', 'set', '--reservation', `id=${rid},amount=3`, 'cli-flavor']);
    expect(tooMany.code).toBe(1);
    expect(tooMany.stderr).toContain('Not enough capacity for flavor:instance');
    const none = await cli(['lease', 'set', '--reservation', `id=${rid},amount=0`, 'cli-flavor']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('Invalid input for field/attribute amount. Value: 0. Must be an integer of at least 1');
    expect((await w.svc.services.leases.get(ADMIN_CTX, created.body.lease.id)).reservations[0].amount).toBe(2);

    // The client's create path, for the record: it fails before calling Climate.
    const cliCreate = await cli(['lease', 'create', '--end-date', '2030-01-01 13:00',
      '--reservation', 'resource_type=flavor:instance,flavor_id=3,amount=1', 'cli-create']);
    expect(cliCreate.code).toBe(1);
    expect((await w.svc.services.leases.list(ADMIN_CTX)).leases.map((l) => l.name)).toEqual(['cli-flavor']);
  });
});
