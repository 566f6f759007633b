/**
 * Host healing against a real Nova: a reserved host whose nova-compute service an operator disables (as
 * `openstack compute service set --disable` does) is replaced by a free host in the active reservation's
 * aggregate; with no free host left the lease is degraded, and it recovers when the services are enabled again.
 * The same for a nova-compute process that stops (Nova reports its service down after service_down_time).
 */
import { CLOUD_START_TIMEOUT_MS, computeProcess, waitFor } from './cloud';
import { e2eWorld, type E2eWorld } from './world';

jest.setTimeout(10 * 60_000);

let w: E2eWorld;
const hostIds: Record<string, string> = {};
/** A compute whose process the tests stopped (started again in afterAll if a test fails meanwhile). */
let stopped = '';
beforeAll(async () => {
  w = await e2eWorld({ nova: { healingIntervalMs: 2000 } });
  const [id1, id2] = await w.register('compute-1', 'compute-2');
  Object.assign(hostIds, { 'compute-1': id1, 'compute-2': id2 });
}, CLOUD_START_TIMEOUT_MS);
afterAll(async () => {
  if (!w) return;
  // The next test file must find every compute enabled and running (its reset enables them too).
  for (const host of ['compute-1', 'compute-2']) await w.novaAdmin.setComputeService(host, true).catch(() => undefined);
  if (stopped) await computeProcess('start', stopped).catch(() => undefined);
  await w.close();
});

describe('host healing on a real Nova', () => {
  let leaseId = '';
  let aggregateId = 0;
  let held = '';
  let other = '';

  const aggregateHosts = async () => (await w.novaAdmin.call('GET', `/os-aggregates/${aggregateId}`)).aggregate.hosts as string[];
  const lease = async () => (await w.api('GET', `/leases/${leaseId}`, w.demo)).lease;

  it('a disabled compute service in an active reservation is replaced by a free host, in the reservation\'s aggregate', async () => {
    const created = (await w.api('POST', '/leases', w.demo, {
      name: 'e2e-healing', start_date: 'now', end_date: new Date(Date.now() + 3600_000).toISOString(),
      reservations: [{ resource_type: 'physical:host', min: 1, max: 1, hypervisor_properties: '', resource_properties: '' }],
    }, [201])).lease;
    leaseId = created.id as string;
    const rid = created.reservations[0].id as string;
    await w.leaseReaches(leaseId, 'ACTIVE');
    const aggregate = (await w.novaAdmin.aggregates()).find((a) => a.metadata?.['climate:reservation_id'] === rid)!;
    aggregateId = aggregate.id as number;
    [held] = aggregate.hosts as string[];
    other = held === 'compute-1' ? 'compute-2' : 'compute-1';

    await w.novaAdmin.setComputeService(held, false);
    await waitFor(`${other} in the reservation instead of ${held}`, async () => {
      const hosts = await aggregateHosts();
      return hosts.length === 1 && hosts[0] === other ? true : null;
    });
    expect((await w.api('GET', `/os-hosts/${hostIds[held]}`, w.admin)).host.status).toBe('disabled');
    const healed = await lease();
    expect(healed.degraded).toBe(false);
    expect(healed.reservations[0].missing_resources).toBe(false);
  });

  it('with no free host left the lease is degraded; enabling the services clears it', async () => {
    await w.novaAdmin.setComputeService(other, false);
    await waitFor('lease degraded', async () => ((await lease()).degraded === true ? true : null));
    expect((await lease()).reservations[0].missing_resources).toBe(true);

    await w.novaAdmin.setComputeService(held, true);
    await w.novaAdmin.setComputeService(other, true);
    await waitFor('lease no longer degraded', async () => ((await lease()).degraded === false ? true : null));
    expect((await lease()).reservations[0].missing_resources).toBe(false);
    expect((await w.api('GET', `/os-hosts/${hostIds[other]}`, w.admin)).host.status).not.toBe('disabled');
  });

  it('a stopped nova-compute: its host is replaced once Nova reports the service down; started again, it recovers', async () => {
    [held] = await aggregateHosts();
    other = held === 'compute-1' ? 'compute-2' : 'compute-1';
    stopped = held;
    await computeProcess('stop', held);
    await waitFor(`${other} in the reservation instead of the stopped ${held}`, async () => {
      const hosts = await aggregateHosts();
      return hosts.length === 1 && hosts[0] === other ? true : null;
    }, 180_000);
    expect((await w.novaAdmin.computeService(held)).state).toBe('down');
    expect((await w.api('GET', `/os-hosts/${hostIds[held]}`, w.admin)).host.status).toBe('down');
    expect((await lease()).degraded).toBe(false);

    await computeProcess('start', held);
    stopped = '';
    await waitFor(`${held} up and reservable again`, async () =>
      ((await w.api('GET', `/os-hosts/${hostIds[held]}`, w.admin)).host.status !== 'down' ? true : null), 180_000);
    expect((await w.novaAdmin.computeService(held)).state).toBe('up');
  });

  it('the lease ending returns both hosts to the freepool and removes the aggregate', async () => {
    await w.endLease(leaseId);
    expect((await w.novaAdmin.aggregates()).map((a) => a.name)).toEqual([w.cloud.freepool]);
    expect(((await w.novaAdmin.aggregateNamed(w.cloud.freepool))!.hosts as string[]).sort()).toEqual(['compute-1', 'compute-2']);
  });
});
