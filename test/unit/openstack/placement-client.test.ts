/**
 * PlacementClient against the fake Placement, and the fake's own contract (what the real Placement answers, so
 * the integration tests are worth something): nested providers, unique names, generations, deletes refused
 * while allocations or children exist.
 */
import { OpenStackConflict, OpenStackHttpError, PlacementClient, PLACEMENT_MICROVERSION, ServiceClient } from '../../../src/openstack';
import { FakeNovaPlacement } from '../../fakes/nova-placement';

describe('PlacementClient and the fake Placement', () => {
  let fake: FakeNovaPlacement;
  let node: string;
  const http = (version = PLACEMENT_MICROVERSION) => new ServiceClient({
    service: 'placement', baseUrl: async () => fake.placementUrl, token: async () => null,
    headers: { 'OpenStack-API-Version': `placement ${version}` }, timeoutMs: 2000, retries: 1, retryDelayMs: 1,
  });
  const client = () => new PlacementClient(http());
  const status = (p: Promise<unknown>) => p.then(() => 0, (e: unknown) => (e instanceof OpenStackHttpError ? [e.remoteStatus, e.remoteCode] : e));

  beforeEach(async () => {
    fake = await new FakeNovaPlacement().start();
    node = fake.addHypervisor('compute-1').providerUuid;
  });
  afterEach(async () => { await fake.stop(); });

  it('speaks a microversion with nested providers', () => {
    const [major, minor] = PLACEMENT_MICROVERSION.split('.').map(Number);
    expect(major === 1 && minor >= 14).toBe(true);
  });

  it('makes a child provider once: a second call finds it, a name under another parent is refused', async () => {
    const placement = client();
    const child = await placement.ensureChildProvider('reservation-r1-compute-1', node);
    expect(child).toMatchObject({ name: 'reservation-r1-compute-1', parent_provider_uuid: node, root_provider_uuid: node, generation: 0 });
    expect(await placement.ensureChildProvider('reservation-r1-compute-1', node)).toMatchObject({ uuid: child.uuid });
    expect(fake.calls('POST /resource_providers')).toHaveLength(1);
    expect(fake.childrenOf(node).map((p) => p.uuid)).toEqual([child.uuid]);
    const other = fake.addHypervisor('compute-2').providerUuid;
    await expect(placement.ensureChildProvider('reservation-r1-compute-1', other)).rejects.toThrow(/exists under .*, not under/);
    expect((await placement.listProviders()).map((p) => p.name).sort()).toEqual(['compute-1', 'compute-2', 'reservation-r1-compute-1']);
  });

  it('finds the compute nodes with required traits and without forbidden ones in one providers query (1.22), never their children', async () => {
    fake.addHypervisor('compute-2');
    fake.addHypervisor('compute-3');
    fake.setTraits('compute-1', ['CUSTOM_FAST']);
    fake.setTraits('compute-2', ['CUSTOM_FAST', 'CUSTOM_SLOW']);
    fake.setTraits('compute-3', ['CUSTOM_SLOW']);
    const placement = client();
    await placement.ensureChildProvider('reservation-r1-compute-1', node);
    const names = async (required: string[], forbidden: string[]) => (await placement.computeNodesWithTraits(required, forbidden)).map((p) => p.name).sort();
    const before = fake.calls('GET /resource_providers').length;
    expect(await names(['CUSTOM_FAST'], [])).toEqual(['compute-1', 'compute-2']);
    expect(await names(['CUSTOM_FAST'], ['CUSTOM_SLOW'])).toEqual(['compute-1']);
    expect(await names([], ['CUSTOM_FAST'])).toEqual(['compute-3']);
    expect(fake.calls('GET /resource_providers').length - before).toBe(3);
    // Names Placement does not know: a required one is on no node (and the providers are not asked); a forbidden one excludes none.
    expect(await names(['CUSTOM_NOWHERE'], [])).toEqual([]);
    expect(fake.calls('GET /resource_providers').length - before).toBe(3);
    expect(await names(['CUSTOM_SLOW'], ['CUSTOM_NOWHERE'])).toEqual(['compute-2', 'compute-3']);
    // The fake answers as Placement: forbidden traits need 1.22, unknown names are a 400.
    expect(await status(http('1.20').get('/resource_providers', { query: { required: '!CUSTOM_SLOW' } }))).toEqual([400, 'placement.undefined_code']);
    expect(await status(http('1.22').get('/resource_providers', { query: { required: 'CUSTOM_NOWHERE' } }))).toEqual([400, 'placement.undefined_code']);
  });

  it('a create whose reply was lost is found by its name on the retry (409 placement.duplicate_name)', async () => {
    fake.fault('POST /resource_providers', { status: 500, afterHandling: true });
    const child = await client().ensureChildProvider('reservation-r1-compute-1', node);
    expect(fake.childrenOf(node).map((p) => p.uuid)).toEqual([child.uuid]);
    expect(fake.calls('POST /resource_providers')).toHaveLength(2);
  });

  it('Placement refuses duplicate names (409), unknown parents (400) and parents before 1.14 (400); answers 201 without a body before 1.20', async () => {
    const v = (version: string) => http(version);
    await client().ensureChildProvider('taken', node);
    expect(await status(v('1.20').post('/resource_providers', { name: 'taken' }))).toEqual([409, 'placement.duplicate_name']);
    expect(await status(v('1.20').post('/resource_providers', { name: 'orphan', parent_provider_uuid: '3f0a6c2e-7d1b-4f5e-9a8c-2b4d6e8f0a1c' })))
      .toEqual([400, 'placement.undefined_code']);
    expect(await status(v('1.7').post('/resource_providers', { name: 'early', parent_provider_uuid: node }))).toEqual([400, 'placement.undefined_code']);
    const created = await v('1.14').post('/resource_providers', { name: 'no-body', parent_provider_uuid: node });
    expect([created.status, created.body]).toEqual([201, null]);
    const listed = await v('1.14').get<{ resource_providers: { name: string }[] }>('/resource_providers', { query: { in_tree: node } });
    expect(listed.body.resource_providers.map((p) => p.name).sort()).toEqual(['compute-1', 'no-body', 'taken']);
  });

  it('deleting a provider is refused while it has children or allocations; its inventory goes with it', async () => {
    const placement = client();
    const child = await placement.ensureChildProvider('reservation-r1-compute-1', node);
    await placement.ensureResourceClass('CUSTOM_RESERVATION_R1');
    await placement.setInventory(child.uuid, 'CUSTOM_RESERVATION_R1', { total: 2, max_unit: 2 });
    expect(await status(placement.deleteProvider(node))).toEqual([409, 'placement.resource_provider.cannot_delete_parent']);
    fake.allocations.set('c0ffee00-0000-4000-8000-000000000001', { [child.uuid]: { CUSTOM_RESERVATION_R1: 1 } });
    expect(await status(placement.deleteProvider(child.uuid))).toEqual([409, 'placement.resource_provider.inuse']);
    expect(await status(placement.deleteInventory(child.uuid, 'CUSTOM_RESERVATION_R1'))).toEqual([409, 'placement.concurrent_update']);
    // Placement accepts a total below what is used (it only warns).
    await placement.setInventory(child.uuid, 'CUSTOM_RESERVATION_R1', { total: 1, max_unit: 1 });
    fake.allocations.clear();
    await placement.deleteProvider(child.uuid);
    await placement.deleteProvider(child.uuid); // gone already: fine
    expect(fake.providers.has(child.uuid)).toBe(false);
    await placement.deleteResourceClass('CUSTOM_RESERVATION_R1'); // no inventory of it left anywhere
    expect(fake.resourceClasses.has('CUSTOM_RESERVATION_R1')).toBe(false);
  });

  it('inventory writes carry the generation and are retried when someone else wrote the provider meanwhile', async () => {
    const placement = client();
    const child = await placement.ensureChildProvider('reservation-r1-compute-1', node);
    await placement.ensureResourceClass('CUSTOM_RESERVATION_R1');
    fake.raceInventoryWrites(2);
    await placement.setInventory(child.uuid, 'CUSTOM_RESERVATION_R1', { total: 3, max_unit: 3 });
    expect(fake.providers.get(child.uuid)!.inventories.CUSTOM_RESERVATION_R1).toMatchObject({ total: 3, max_unit: 3 });
    expect(fake.calls('POST /resource_providers/{id}/inventories')).toHaveLength(3);
    // Already so: nothing written.
    await placement.setInventory(child.uuid, 'CUSTOM_RESERVATION_R1', { total: 3, max_unit: 3 });
    expect(fake.calls('PUT /resource_providers/{id}/inventories/{id}')).toHaveLength(0);
    fake.raceInventoryWrites(1);
    await placement.setInventory(child.uuid, 'CUSTOM_RESERVATION_R1', { total: 2, max_unit: 2 });
    expect(fake.calls('PUT /resource_providers/{id}/inventories/{id}')).toHaveLength(2);
    // A writer that always wins: the conflict is reported after the retries.
    fake.raceInventoryWrites(100);
    const lost = await placement.setInventory(child.uuid, 'CUSTOM_RESERVATION_R1', { total: 4, max_unit: 4 }).catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(OpenStackConflict);
    expect((lost as OpenStackConflict).remoteCode).toBe('placement.concurrent_update');
    expect(fake.providers.get(child.uuid)!.inventories.CUSTOM_RESERVATION_R1.total).toBe(2);
  });

  it('a class new to a provider is added with POST; PUT on the class only replaces a record (as real Placement 8 answers)', async () => {
    const placement = client();
    const child = await placement.ensureChildProvider('reservation-r2-compute-1', node);
    await placement.ensureResourceClass('CUSTOM_RESERVATION_R2');
    const path = `/resource_providers/${child.uuid}/inventories`;
    const generation = () => fake.providers.get(child.uuid)!.generation;
    expect(await status(placement.http.put(`${path}/CUSTOM_RESERVATION_R2`, { resource_provider_generation: generation(), total: 1 })))
      .toEqual([400, 'placement.undefined_code']);
    await placement.setInventory(child.uuid, 'CUSTOM_RESERVATION_R2', { total: 2, max_unit: 2 });
    expect(fake.calls('POST /resource_providers/{id}/inventories').map((c) => c.body)).toEqual([
      { resource_class: 'CUSTOM_RESERVATION_R2', resource_provider_generation: 0, total: 2, max_unit: 2 },
    ]);
    expect(await status(placement.http.post(path, { resource_class: 'CUSTOM_RESERVATION_R2', resource_provider_generation: generation(), total: 1 })))
      .toEqual([409, 'placement.undefined_code']);
    await placement.setInventory(child.uuid, 'CUSTOM_RESERVATION_R2', { total: 5, max_unit: 5 });
    expect(fake.providers.get(child.uuid)!.inventories.CUSTOM_RESERVATION_R2).toMatchObject({ total: 5, max_unit: 5 });
  });
});
