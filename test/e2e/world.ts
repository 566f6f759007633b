/**
 * Climate as the end-to-end tests run it against the real cloud: in-process, listening, on a new database, with
 * [compute] driver = nova and auth_strategy = keystone against the cloud's Keystone (Nova and Placement found in
 * its catalog, Climate's service user "climate"), the manager running on the real clock.
 */
import type { ClimateConfig, DeepPartial } from '../../src/config';
import { reservationResourceClass, slotsProviderName } from '../../src/plugins/virtual-instance';
import { startTestService, type TestService } from '../support/service';
import { ensureCloud, http, login, Nova, Placement, useCloud, waitFor, type Cloud, type Session } from './cloud';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface E2eWorld {
  cloud: Cloud;
  climate: TestService;
  admin: Session;
  demo: Session;
  altDemo: Session;
  novaAdmin: Nova;
  novaDemo: Nova;
  placement: Placement;
  /** A call to Climate's API (/v1...) with a token of the real Keystone; throws unless the status is expected. */
  api(method: string, path: string, as: Session, body?: unknown, expected?: number[]): Promise<Json>;
  /** Registers hosts in Climate as the admin; returns their ids. */
  register(...names: string[]): Promise<string[]>;
  /** Waits until the lease has that status (lease events run on the real clock). */
  leaseReaches(id: string, status: string, timeoutMs?: number): Promise<Json>;
  /** Moves the lease's end to two seconds from now and waits until it is TERMINATED. */
  endLease(id: string): Promise<Json>;
  /** A Keystone trust as the demo user (its trustor) sees it; null once it is gone. */
  trust(id: string): Promise<Json | null>;
  close(): Promise<void>;
}

export interface E2eWorldOptions {
  /**
   * Point the catalog's `reservation` service at this Climate (for Heat's OS::Blazar::* resources). Tokens issued
   * before do not list it: log in again after.
   */
  reservationEndpoint?: boolean;
}

export async function e2eWorld(config: DeepPartial<ClimateConfig> = {}, options: E2eWorldOptions = {}): Promise<E2eWorld> {
  const { cloud, release } = await useCloud();
  let climate: TestService | undefined;
  try {
    const admin = await login(cloud, cloud.admin);
    const demo = await login(cloud, cloud.demo);
    const altDemo = await login(cloud, cloud.alt_demo);
    const novaAdmin = new Nova(cloud, admin);
    const placement = new Placement(cloud, admin);
    await novaAdmin.reset(cloud.freepool);
    await placement.reset();
    climate = await startTestService({
      listen: true,
      manager: true,
      config: {
        ...config,
        default: { authStrategy: 'keystone', ...config.default },
        keystoneAuthtoken: {
          authUrl: cloud.auth_url, username: cloud.climate.username, password: cloud.climate.password, projectName: cloud.climate.project,
        },
        compute: { driver: 'nova' },
        manager: { pollIntervalMs: 500, minutesBeforeEndLease: 0, eventRetryDelayMs: 2000, ...config.manager },
        // The real services answer within seconds on a loaded machine; nothing here runs into these limits.
        nova: { requestTimeoutMs: 60_000, reconcileIntervalMs: 0, healingIntervalMs: 0, instanceDeleteTimeoutMs: 180_000, ...config.nova },
      },
    });
    const svc = climate;
    // What climate-manager runs besides the event loop: host healing and the reconciler, when configured.
    for (const job of svc.services.managerJobs) job.start();
    if (options.reservationEndpoint) await ensureCloud(`${svc.url}/v1`);
    const api: E2eWorld['api'] = async (method, path, as, body, expected) =>
      (await http(method, `${svc.url}/v1${path}`, as.token, body, {}, expected)).json;
    const leaseReaches: E2eWorld['leaseReaches'] = (id, status, timeoutMs = 180_000) => waitFor(`lease ${id} ${status}`, async () => {
      const lease = (await api('GET', `/leases/${id}`, demo)).lease as Json;
      if (lease.status === 'ERROR' && status !== 'ERROR') throw new Error(`lease ${id} went to ERROR: ${JSON.stringify(lease.events)}`);
      return lease.status === status ? lease : null;
    }, timeoutMs);
    return {
      cloud, climate, admin, demo, altDemo, novaAdmin, novaDemo: new Nova(cloud, demo), placement, api, leaseReaches,
      async register(...names) {
        const ids: string[] = [];
        for (const name of names) ids.push((await api('POST', '/os-hosts', admin, { name }, [201])).host.id as string);
        return ids;
      },
      async endLease(id) {
        await api('PUT', `/leases/${id}`, demo, { end_date: new Date(Date.now() + 2000).toISOString() });
        return leaseReaches(id, 'TERMINATED', 300_000);
      },
      async trust(id) {
        const res = await http('GET', `${cloud.auth_url}/OS-TRUST/trusts/${id}`, demo.token, undefined, {}, [200, 404]);
        return res.status === 200 ? res.json.trust as Json : null;
      },
      async close() {
        await svc.close();
        release();
      },
    };
  } catch (error) {
    await climate?.close();
    release();
    throw error;
  }
}

/**
 * An instance reservation's slots in Placement, by host: the inventory of its class on the slots provider (a
 * child) of each compute node. Checks on the way that no compute node's own provider has inventory of the class.
 */
export async function reservationSlots(w: E2eWorld, rid: string): Promise<Record<string, number>> {
  const rc = reservationResourceClass(rid);
  const providers = await w.placement.providers();
  const out: Record<string, number> = {};
  for (const host of w.cloud.computes) {
    const node = providers.find((p) => p.name === host)!;
    expect(Object.keys(await w.placement.inventories(node.uuid as string))).not.toContain(rc);
    const child = providers.find((p) => p.name === slotsProviderName(host));
    if (!child) continue;
    expect(child.parent_provider_uuid).toBe(node.uuid);
    const inventory = (await w.placement.inventories(child.uuid as string))[rc];
    if (inventory) out[host] = inventory.total as number;
  }
  return out;
}
