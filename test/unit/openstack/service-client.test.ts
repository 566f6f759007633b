import { requestScope } from '../../../src/common';
import {
  NovaClient, NOVA_MICROVERSION, OpenStackConflict, OpenStackHttpError, OpenStackNotFound, OpenStackUnavailable, PlacementClient, ServiceClient,
} from '../../../src/openstack';
import { FakeNovaPlacement } from '../../fakes/nova-placement';

describe('OpenStack service clients against the fake', () => {
  let fake: FakeNovaPlacement;
  let tokens: string[];
  let invalidated: string[];
  const client = (service: 'nova' | 'placement', retries = 2) => new ServiceClient({
    service, baseUrl: async () => (service === 'nova' ? fake.novaUrl : fake.placementUrl),
    token: async () => tokens[0], invalidateToken: (t) => { invalidated.push(t); tokens.shift(); },
    headers: service === 'nova' ? { 'X-OpenStack-Nova-API-Version': NOVA_MICROVERSION } : { 'OpenStack-API-Version': 'placement 1.7' },
    timeoutMs: 2000, retries, retryDelayMs: 1,
  });

  beforeEach(async () => {
    fake = await new FakeNovaPlacement().start();
    fake.token = 'good';
    tokens = ['good'];
    invalidated = [];
  });
  afterEach(async () => { await fake.stop(); });

  it('sends the token, the microversion and the caller\'s request id', async () => {
    const nova = new NovaClient(client('nova'));
    const id = 'req-0b0a5f3e-3c5b-4a3e-9d7e-1f2a3b4c5d6e';
    await requestScope.run({ requestId: id }, () => nova.listAggregates());
    const [req] = fake.requests;
    expect(req.headers['x-auth-token']).toBe('good');
    expect(req.headers['x-openstack-nova-api-version']).toBe(NOVA_MICROVERSION);
    expect(req.headers['x-openstack-request-id']).toBe(id);
  });

  it('turns error statuses into typed errors carrying the remote message and request id', async () => {
    const nova = new NovaClient(client('nova'));
    fake.addAggregate('a');
    const err = await nova.createAggregate('a', null).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenStackConflict);
    expect((err as OpenStackConflict).remoteMessage).toBe('Aggregate a already exists.');
    expect((err as OpenStackConflict).call.requestId).toMatch(/^req-/);
    await expect(nova.getAggregate(99)).rejects.toBeInstanceOf(OpenStackNotFound);
    const placement = new PlacementClient(client('placement'));
    const perr = await placement.deleteResourceClass('VCPU').catch((e: unknown) => e);
    expect((perr as { remoteMessage: string }).remoteMessage).toMatch(/standard resource class/);
  });

  it('retries idempotent calls on 5xx and timeouts, but not a POST', async () => {
    const nova = new NovaClient(client('nova'));
    fake.fault('GET /os-aggregates', { status: 503 });
    fake.fault('GET /os-aggregates', { hang: true });
    expect(await nova.listAggregates()).toEqual([]);
    expect(fake.calls('GET /os-aggregates')).toHaveLength(3);
    fake.fault('POST /os-aggregates', { status: 500 });
    await expect(nova.createAggregate('x', null)).rejects.toBeInstanceOf(OpenStackUnavailable);
    expect(fake.calls('POST /os-aggregates')).toHaveLength(1);
    fake.fault('GET /os-aggregates', { status: 500, times: 3 });
    await expect(nova.listAggregates()).rejects.toThrow(/failed: HTTP 500: injected fault/);
  });

  it('gets a fresh token once when the service refuses it', async () => {
    tokens = ['stale', 'good'];
    await new NovaClient(client('nova')).listAggregates();
    expect(invalidated).toEqual(['stale']);
  });

  it('sends a per-call token instead of its own; a 401 then renews that token (once) and leaves its own alone', async () => {
    const http = client('nova', 0);
    fake.token = 'owner-1';
    await http.get('/os-aggregates', { token: 'owner-1' });
    expect(fake.requests.at(-1)!.headers['x-auth-token']).toBe('owner-1');

    fake.token = 'owner-2';
    const renewals: string[] = [];
    const refreshToken = async () => { renewals.push('owner-2'); return 'owner-2'; };
    await http.get('/os-aggregates', { token: 'owner-1', refreshToken });
    expect(fake.requests.slice(-2).map((r) => r.headers['x-auth-token'])).toEqual(['owner-1', 'owner-2']);
    expect(renewals).toHaveLength(1);
    expect(invalidated).toEqual([]);

    // Refused again after the renewal, or without a way to renew: the call fails saying whose token it was.
    fake.token = 'someone-else';
    const again = await http.get('/os-aggregates', { token: 'owner-1', refreshToken }).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(OpenStackHttpError);
    expect((again as OpenStackHttpError).remoteStatus).toBe(401);
    expect((again as Error).message).toMatch(/answered 401: the token given for this call \(not the service user's\) was refused/);
    const bare = await http.get('/os-aggregates', { token: 'owner-1' }).catch((e: unknown) => e);
    expect((bare as OpenStackHttpError).remoteStatus).toBe(401);
    expect(invalidated).toEqual([]);
    expect(tokens).toEqual(['good']);
  });

  it('placement inventories follow the provider generation', async () => {
    const h = fake.addHypervisor('c1');
    const placement = new PlacementClient(client('placement'));
    await placement.ensureResourceClass('CUSTOM_RESERVATION_X');
    await placement.ensureResourceClass('CUSTOM_RESERVATION_X');
    fake.fault('POST /resource_providers/{id}/inventories', { status: 409 });
    await expect(placement.setInventory(h.providerUuid, 'CUSTOM_RESERVATION_X', { total: 3 })).rejects.toBeInstanceOf(OpenStackConflict);
    fake.providers.get(h.providerUuid)!.generation = 7; // someone else changed it
    await placement.setInventory(h.providerUuid, 'CUSTOM_RESERVATION_X', { total: 3 });
    expect(fake.providers.get(h.providerUuid)!.inventories.CUSTOM_RESERVATION_X.total).toBe(3);
    await expect(placement.deleteResourceClass('CUSTOM_RESERVATION_X')).rejects.toBeInstanceOf(OpenStackConflict);
    await placement.deleteInventory(h.providerUuid, 'CUSTOM_RESERVATION_X');
    await placement.deleteResourceClass('CUSTOM_RESERVATION_X');
    expect(fake.resourceClasses.has('CUSTOM_RESERVATION_X')).toBe(false);
  });
});
