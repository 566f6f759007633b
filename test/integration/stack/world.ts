import type { RequestContext } from '../../../src/auth';
import type { ClimateConfig, DeepPartial } from '../../../src/config';
import { FakeHeat } from '../../fakes/heat';
import type { TestDialect } from '../../support/database';
import { FakeKeystone } from '../../support/keystone-fake';
import { reservationResourceClass } from '../../../src/plugins/virtual-instance';
import { ADMIN_CTX, novaWorld, type NovaWorld } from '../nova/world';

export { ADMIN_CTX };

/**
 * A HOT template as a tenant would write it for a stack reservation: `size` servers in a ResourceGroup, on the
 * reservation's flavor (its default, m1.small, sizes the slots) with the reservation as scheduler hint.
 */
export const TEMPLATE = `heat_template_version: 2018-08-31
description: web tier on reserved capacity
parameters:
  size: {type: number, default: 2}
  image: {type: string, default: cirros}
  reservation_flavor: {type: string, default: m1.small}
  reservation_id: {type: string, default: ""}
resources:
  web:
    type: OS::Heat::ResourceGroup
    properties:
      count: {get_param: size}
      resource_def:
        type: OS::Nova::Server
        properties:
          name: web-%index%
          flavor: {get_param: reservation_flavor}
          image: {get_param: image}
          scheduler_hints: {reservation: {get_param: reservation_id}}
outputs:
  names: {value: {get_attr: [web, name]}}
`;

export interface StackWorld extends NovaWorld {
  heat: FakeHeat;
  /** Set when the world was built with Keystone (trusts); null otherwise (noauth, no token to Heat). */
  keystone: FakeKeystone | null;
  /** A lease body with one virtual:stack reservation ending at 13:00. */
  lease(name: string, extra?: Record<string, unknown>): Record<string, unknown>;
  /** Notifications in the outbox for a lease: type, priority and payload. */
  notifications(leaseId: string): Promise<{ type: string; priority: string; payload: Record<string, unknown> }[]>;
  /** Sets the clock to the lease end and runs the end (and retries when `rounds` > 1). */
  end(rounds?: number): Promise<void>;
}

export interface StackWorldOptions {
  dialect?: TestDialect;
  /** With a fake Keystone: leases get trusts, and Heat calls carry the owner's trust-scoped tokens. */
  keystone?: boolean;
  config?: DeepPartial<ClimateConfig>;
}

/**
 * Climate with [compute] driver = nova and virtual:stack against the fake Nova/Placement and the fake Heat
 * (whose completed stacks make their servers in the Nova fake): two hosts of 8 vCPU, 16 GiB, 100 GB, so 4
 * slots of m1.small (2 vCPU, 4 GiB, 20 GB) each, 8 in all.
 */
export async function stackWorld(options: StackWorldOptions = {}): Promise<StackWorld> {
  const heat = await new FakeHeat().start();
  const keystone = options.keystone ? await new FakeKeystone().start() : null;
  const config = options.config ?? {};
  const w = await novaWorld({
    ...config,
    manager: { plugins: ['physical:host', 'virtual:instance', 'virtual:stack'], ...config.manager },
    heat: { endpointOverride: heat.endpoint, stackCreateTimeoutMs: 1000, stackDeleteTimeoutMs: 1000, stackPollIntervalMs: 10, ...config.heat },
    keystoneAuthtoken: keystone ? { authUrl: keystone.url, username: 'climate', password: 'secret', projectName: 'service' } : {},
  }, (fake) => {
    for (const name of ['compute-1', 'compute-2']) fake.addHypervisor(name);
    for (const [id, name, vcpus, ram, disk] of [['1', 'm1.small', 2, 4096, 20], ['2', 'm1.large', 4, 8192, 40]] as const) {
      fake.flavors.set(id, { id, name, vcpus, ram, disk, isPublic: true, extraSpecs: {}, access: [] });
    }
  }, { dialect: options.dialect });
  heat.nova = w.fake;
  if (keystone) {
    // Like Heat: a trust from the caller (a token of the lease's trust) to Heat's own user, before each create.
    heat.deferredAuth = async (token) => {
      const caller = token ? keystone.tokens.get(token) : undefined;
      const res = await fetch(`${keystone.url}/OS-TRUST/trusts`, {
        method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Auth-Token': token ?? '' },
        body: JSON.stringify({ trust: { trustor_user_id: caller?.userId, trustee_user_id: 'heat', project_id: caller?.projectId, roles: (caller?.roles ?? []).map((name) => ({ name })), impersonation: true } }),
      });
      if (res.status !== 201) throw new Error(`${res.status} ${await res.text()}`);
    };
  }
  await w.register('compute-1', 'compute-2');
  return {
    ...w, heat, keystone,
    lease: (name, extra = {}) => ({
      name, start_date: 'now', end_date: '2030-01-01 13:00',
      reservations: [{ resource_type: 'virtual:stack', template: TEMPLATE, stack_name: `stack-${name}`, ...extra }],
    }),
    async notifications(leaseId) {
      return (await w.svc.services.repos.outbox.pending(10_000)).filter((n) => n.leaseId === leaseId)
        .map((n) => ({ type: n.eventType, priority: n.priority, payload: JSON.parse(n.payload) as Record<string, unknown> }));
    },
    async end(rounds = 1) {
      w.clock.set(new Date('2030-01-01T13:00:00Z'));
      await w.runEvents(rounds);
    },
    async close() {
      await w.close();
      await heat.stop();
      await keystone?.stop();
    },
  };
}

/** A context with a user token Keystone knows, so that creating a lease makes a trust (as the API does in keystone mode). */
export function userContext(keystone: FakeKeystone, token = 'user-token-alice'): RequestContext {
  keystone.addToken(token, { userId: 'alice', projectId: 'p1', roles: ['member', 'reader'] });
  return { userId: 'alice', projectId: 'p1', roles: ['member', 'reader'], isAdmin: false, requestId: 'req-alice', authToken: token };
}

/** Nothing of the reservation left in Heat, Nova or Placement. */
export function expectNothingLeft(w: StackWorld, rid: string): void {
  expect(w.heat.live()).toEqual([]);
  expect([...w.fake.servers.values()]).toEqual([]);
  expect(w.fake.flavors.has(rid)).toBe(false);
  expect([...w.fake.aggregates.values()].map((a) => a.name)).toEqual(['freepool']);
  expect(w.fake.resourceClasses.has(reservationResourceClass(rid))).toBe(false);
}
