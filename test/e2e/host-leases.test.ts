/**
 * Host reservations against a real OpenStack (tools/ensure-openstack.sh): Climate with [compute] driver = nova and
 * auth_strategy = keystone, finding Nova and Placement in the real Keystone's catalog; hosts are the real fake-driver
 * computes, aggregates are Nova's, and the scheduler that places servers runs Climate's filter.
 */
import { startTestService, type TestService } from '../support/service';
import { CLOUD_START_TIMEOUT_MS, ensureCloud, http, login, Nova, waitFor, type Cloud, type Session } from './cloud';

jest.setTimeout(10 * 60_000);

let cloud: Cloud;
let admin: Session;
let demo: Session;
let altDemo: Session;
let novaAdmin: Nova;
let novaDemo: Nova;
let climate: TestService;

/** A call to Climate's API, with a token of the real Keystone. */
async function api(method: string, path: string, session: Session, body?: unknown, expected?: number[]) {
  return (await http(method, `${climate.url}/v1${path}`, session.token, body, {}, expected)).json;
}

/** A Keystone trust as its trustor sees it; null once it is gone. */
async function trust(id: string): Promise<Record<string, unknown> | null> {
  const res = await http('GET', `${cloud.auth_url}/OS-TRUST/trusts/${id}`, demo.token, undefined, {}, [200, 404]);
  return res.status === 200 ? res.json.trust as Record<string, unknown> : null;
}

async function leaseStatus(id: string): Promise<string> {
  return (await api('GET', `/leases/${id}`, demo)).lease.status as string;
}

beforeAll(async () => {
  cloud = await ensureCloud();
  admin = await login(cloud, cloud.admin);
  demo = await login(cloud, cloud.demo);
  altDemo = await login(cloud, cloud.alt_demo);
  novaAdmin = new Nova(cloud, admin);
  novaDemo = new Nova(cloud, demo);
  await novaAdmin.reset(cloud.freepool);
  climate = await startTestService({
    listen: true,
    manager: true,
    config: {
      default: { authStrategy: 'keystone' },
      keystoneAuthtoken: { authUrl: cloud.auth_url, ...climateUser(cloud) },
      compute: { driver: 'nova' },
      manager: { pollIntervalMs: 500, minutesBeforeEndLease: 0, eventRetryDelayMs: 2000 },
      // The real services answer in seconds on a loaded machine; nothing here runs into these limits.
      nova: { requestTimeoutMs: 60_000, reconcileIntervalMs: 0, healingIntervalMs: 0, instanceDeleteTimeoutMs: 180_000 },
    },
  });
}, CLOUD_START_TIMEOUT_MS);

afterAll(async () => {
  await climate?.close();
});

function climateUser(c: Cloud) {
  return { username: c.climate.username, password: c.climate.password, projectName: c.climate.project };
}

describe('host leases on a real Nova', () => {
  const hostIds: Record<string, string> = {};
  let leaseId = '';
  let reservationId = '';
  let trustId = '';

  it('registers hosts from the real hypervisors: resources copied, host put in the freepool aggregate', async () => {
    const hypervisors = await novaAdmin.hypervisors();
    for (const name of ['compute-1', 'compute-2']) {
      const host = (await api('POST', '/os-hosts', admin, { name }, [201])).host;
      hostIds[name] = host.id as string;
      const hypervisor = hypervisors.find((h) => h.hypervisor_hostname === name)!;
      expect(host).toMatchObject({
        hypervisor_hostname: name, service_name: name, hypervisor_type: hypervisor.hypervisor_type,
        vcpus: hypervisor.vcpus, memory_mb: hypervisor.memory_mb, local_gb: hypervisor.local_gb,
      });
      expect(host.vcpus).toBeGreaterThan(0);
    }
    expect(((await novaAdmin.aggregateNamed(cloud.freepool))!.hosts as string[]).sort()).toEqual(['compute-1', 'compute-2']);
  });

  it('refuses a host Nova does not know (404) and a second registration (409)', async () => {
    await api('POST', '/os-hosts', admin, { name: 'compute-99' }, [404]);
    await api('POST', '/os-hosts', admin, { name: 'compute-1' }, [409]);
    expect(((await novaAdmin.aggregateNamed(cloud.freepool))!.hosts as string[]).sort()).toEqual(['compute-1', 'compute-2']);
  });

  it('a lease starting moves the host from the freepool into a reservation aggregate carrying Climate\'s metadata', async () => {
    const lease = (await api('POST', '/leases', demo, {
      name: 'e2e-host', start_date: 'now', end_date: new Date(Date.now() + 3600_000).toISOString(),
      reservations: [{
        resource_type: 'physical:host', min: 1, max: 1, resource_properties: '',
        hypervisor_properties: '["==", "$hypervisor_hostname", "compute-2"]',
      }],
    }, [201])).lease;
    leaseId = lease.id as string;
    reservationId = lease.reservations[0].id as string;
    trustId = lease.trust_id as string;
    await waitFor('lease ACTIVE', async () => ((await leaseStatus(leaseId)) === 'ACTIVE' ? true : null));

    const aggregate = (await novaAdmin.aggregates()).find((a) => a.metadata?.['climate:reservation_id'] === reservationId);
    expect(aggregate).toBeDefined();
    expect(aggregate!.hosts).toEqual(['compute-2']);
    expect(aggregate!.metadata).toMatchObject({
      'climate:reservation_id': reservationId, 'climate:owner_project_id': demo.projectId, 'climate:reservation_type': 'physical:host',
    });
    expect((await novaAdmin.aggregateNamed(cloud.freepool))!.hosts).toEqual(['compute-1']);
  });

  it('the lease holds a real Keystone trust from its owner to Climate\'s service user', async () => {
    const climateUserId = (await login(cloud, cloud.climate)).userId;
    expect(await trust(trustId)).toMatchObject({ trustor_user_id: demo.userId, trustee_user_id: climateUserId, project_id: demo.projectId });
  });

  it('the real scheduler, with Climate\'s filter, puts the owner\'s server with the reservation hint on the reserved host', async () => {
    const id = await novaDemo.boot('e2e-reserved', { reservation: reservationId });
    const server = await novaAdmin.settled(id);
    expect(server.status).toBe('ACTIVE');
    expect(server['OS-EXT-SRV-ATTR:host']).toBe('compute-2');
  });

  it('the same hint from another project gets no valid host', async () => {
    const id = await new Nova(cloud, altDemo).boot('e2e-intruder', { reservation: reservationId });
    const server = await novaAdmin.settled(id);
    expect(server.status).toBe('ERROR');
    expect(server.fault?.message).toMatch(/No valid host/i);
    await novaAdmin.deleteServer(id);
  });

  it('a server without the hint lands on neither the reserved host nor a freepool host', async () => {
    const id = await novaDemo.boot('e2e-ordinary');
    const server = await novaAdmin.settled(id);
    expect(server.status).toBe('ACTIVE');
    expect(server['OS-EXT-SRV-ATTR:host']).toBe('compute-3');
    await novaDemo.deleteServer(id);
  });

  it('the lease ending deletes the owner\'s servers there, returns the host to the freepool and removes the aggregate', async () => {
    await api('PUT', `/leases/${leaseId}`, demo, { end_date: new Date(Date.now() + 2000).toISOString() });
    await waitFor('lease TERMINATED', async () => ((await leaseStatus(leaseId)) === 'TERMINATED' ? true : null), 300_000);

    expect((await novaAdmin.aggregates()).map((a) => a.name)).toEqual([cloud.freepool]);
    expect(((await novaAdmin.aggregateNamed(cloud.freepool))!.hosts as string[]).sort()).toEqual(['compute-1', 'compute-2']);
    expect(await novaAdmin.serversOfAllProjects()).toEqual([]);
    expect(await trust(trustId)).toBeNull();
  });
});
