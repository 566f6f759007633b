/**
 * Host reservations against a real OpenStack (tools/ensure-openstack.sh): Climate with [compute] driver = nova and
 * auth_strategy = keystone, finding Nova and Placement in the real Keystone's catalog; hosts are the real fake-driver
 * computes, aggregates are Nova's, and the scheduler that places servers runs Climate's filter.
 */
import { CLOUD_START_TIMEOUT_MS, Nova } from './cloud';
import { e2eWorld, type E2eWorld } from './world';

jest.setTimeout(10 * 60_000);

let w: E2eWorld;
beforeAll(async () => { w = await e2eWorld(); }, CLOUD_START_TIMEOUT_MS);
afterAll(async () => { await w?.close(); });

describe('host leases on a real Nova', () => {
  let leaseId = '';
  let reservationId = '';

  it('registers hosts from the real hypervisors: resources copied, host put in the freepool aggregate', async () => {
    const hypervisors = await w.novaAdmin.hypervisors();
    for (const name of ['compute-1', 'compute-2']) {
      const host = (await w.api('POST', '/os-hosts', w.admin, { name }, [201])).host;
      const hypervisor = hypervisors.find((h) => h.hypervisor_hostname === name)!;
      expect(host).toMatchObject({
        hypervisor_hostname: name, service_name: name, hypervisor_type: hypervisor.hypervisor_type,
        vcpus: hypervisor.vcpus, memory_mb: hypervisor.memory_mb, local_gb: hypervisor.local_gb,
      });
      expect(host.vcpus).toBeGreaterThan(0);
    }
    expect(((await w.novaAdmin.aggregateNamed(w.cloud.freepool))!.hosts as string[]).sort()).toEqual(['compute-1', 'compute-2']);
  });

  it('refuses a host Nova does not know (404) and a second registration (409)', async () => {
    await w.api('POST', '/os-hosts', w.admin, { name: 'compute-99' }, [404]);
    await w.api('POST', '/os-hosts', w.admin, { name: 'compute-1' }, [409]);
    expect(((await w.novaAdmin.aggregateNamed(w.cloud.freepool))!.hosts as string[]).sort()).toEqual(['compute-1', 'compute-2']);
  });

  it('a lease starting moves the host from the freepool into a reservation aggregate carrying Climate\'s metadata', async () => {
    const lease = (await w.api('POST', '/leases', w.demo, {
      name: 'e2e-host', start_date: 'now', end_date: new Date(Date.now() + 3600_000).toISOString(),
      reservations: [{
        resource_type: 'physical:host', min: 1, max: 1, resource_properties: '',
        hypervisor_properties: '["==", "$hypervisor_hostname", "compute-2"]',
      }],
    }, [201])).lease;
    leaseId = lease.id as string;
    reservationId = lease.reservations[0].id as string;
    // Climate acts on hosts with its own service token: a host lease costs no Keystone trust (issue 18).
    expect(lease.trust_id).toBeNull();
    await w.leaseReaches(leaseId, 'ACTIVE');

    const aggregate = (await w.novaAdmin.aggregates()).find((a) => a.metadata?.['climate:reservation_id'] === reservationId);
    expect(aggregate).toBeDefined();
    expect(aggregate!.hosts).toEqual(['compute-2']);
    expect(aggregate!.metadata).toMatchObject({
      'climate:reservation_id': reservationId, 'climate:owner_project_id': w.demo.projectId, 'climate:reservation_type': 'physical:host',
    });
    expect((await w.novaAdmin.aggregateNamed(w.cloud.freepool))!.hosts).toEqual(['compute-1']);
    // The reconciler reads the real aggregates as Climate wrote them: nothing to report.
    expect(await w.climate.services.reconciler!.runOnce()).toEqual([]);
  });

  it('the real scheduler, with Climate\'s filter, puts the owner\'s server with the reservation hint on the reserved host', async () => {
    const id = await w.novaDemo.boot('e2e-reserved', { reservation: reservationId });
    const server = await w.novaAdmin.settled(id);
    expect(server.status).toBe('ACTIVE');
    expect(server['OS-EXT-SRV-ATTR:host']).toBe('compute-2');
  });

  it('the same hint from another project gets no valid host', async () => {
    const id = await new Nova(w.cloud, w.altDemo).boot('e2e-intruder', { reservation: reservationId });
    const server = await w.novaAdmin.settled(id);
    expect(server.status).toBe('ERROR');
    expect(server.fault?.message).toMatch(/No valid host/i);
    await w.novaAdmin.deleteServer(id);
  });

  it('a server without the hint lands on neither the reserved host nor a freepool host', async () => {
    const id = await w.novaDemo.boot('e2e-ordinary');
    const server = await w.novaAdmin.settled(id);
    expect(server.status).toBe('ACTIVE');
    expect(server['OS-EXT-SRV-ATTR:host']).toBe('compute-3');
    await w.novaDemo.deleteServer(id);
  });

  it('the lease ending deletes the owner\'s servers there, returns the host to the freepool and removes the aggregate', async () => {
    await w.endLease(leaseId);
    expect((await w.novaAdmin.aggregates()).map((a) => a.name)).toEqual([w.cloud.freepool]);
    expect(((await w.novaAdmin.aggregateNamed(w.cloud.freepool))!.hosts as string[]).sort()).toEqual(['compute-1', 'compute-2']);
    expect(await w.novaAdmin.serversOfAllProjects()).toEqual([]);
  });
});
