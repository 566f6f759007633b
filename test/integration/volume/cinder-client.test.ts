/** The Cinder client against the fake: the error contracts it relies on, and the catalog URL cut back to the service root. */
import { CinderClient, cinderRoot, isStatus, OpenStackHttpError, OpenStackUnavailable, ServiceClient } from '../../../src/openstack';
import { FakeCinder } from '../../fakes/cinder';

describe('Cinder client', () => {
  let fake: FakeCinder;
  let cinder: CinderClient;
  beforeEach(async () => {
    fake = await new FakeCinder().start();
    cinder = new CinderClient(new ServiceClient({
      service: 'cinder', baseUrl: async () => cinderRoot(`${fake.endpoint}/v3/service-project`), token: async () => null,
      timeoutMs: 2000, retries: 1, retryDelayMs: 5,
    }));
  });
  afterEach(async () => { await fake.stop(); });

  it('cuts a catalog URL back to the service root', () => {
    expect(cinderRoot('http://ctl/volume/v3/abc123')).toBe('http://ctl/volume');
    expect(cinderRoot('http://ctl:8776/v3/abc123/')).toBe('http://ctl:8776');
    expect(cinderRoot('http://ctl/volume/')).toBe('http://ctl/volume');
  });

  it('creates in the project of the path, lists by metadata across projects, shows, deletes', async () => {
    fake.createDelayMs = 20;
    const made = await cinder.createVolume('p1', { size: 3, name: 'v', volumeType: null, metadata: { k: 'x' } });
    expect(made).toMatchObject({ name: 'v', size: 3, status: 'creating', metadata: { k: 'x' } });
    await cinder.createVolume('p1', { size: 1, name: 'other', volumeType: null, metadata: { k: 'y' } });
    expect(fake.calls('POST /volumes')[0].path).toBe('/volume/v3/p1/volumes');
    expect((await cinder.listVolumes('p1', { k: 'x' })).map((v) => v.id)).toEqual([made.id]);
    expect(await cinder.listVolumes('p2', { k: 'x' })).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect((await cinder.getVolume('p1', made.id))!.status).toBe('available');
    await cinder.deleteVolume('p1', made.id);
    expect(await cinder.getVolume('p1', made.id)).toBeNull();
    // Already gone: success.
    await cinder.deleteVolume('p1', made.id);
  });

  it('surfaces Cinder\'s 400 and 404 with its message; 5xx after the retry as unavailable', async () => {
    const bad = await cinder.createVolume('p1', { size: 0, name: 'v', volumeType: null, metadata: {} }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(OpenStackHttpError);
    expect(isStatus(bad, 400)).toBe(true);
    expect((bad as OpenStackHttpError).remoteMessage).toMatch(/size/);
    const type = await cinder.createVolume('p1', { size: 1, name: 'v', volumeType: 'nope', metadata: {} }).catch((e: unknown) => e);
    expect(isStatus(type, 404)).toBe(true);

    const v = await cinder.createVolume('p1', { size: 1, name: 'v', volumeType: null, metadata: {} });
    fake.attach(v.id, 'server-1');
    expect(isStatus(await cinder.deleteVolume('p1', v.id).catch((e: unknown) => e), 400)).toBe(true);
    // A server's attachment is Nova's to remove (CVE-2023-2088): Cinder refuses the force-detach.
    expect(isStatus(await cinder.forceDetach('p1', v.id).catch((e: unknown) => e), 400)).toBe(true);
    fake.detach('server-1', v.id);
    await cinder.deleteVolume('p1', v.id);

    fake.fault('GET /volumes/detail', { status: 503, times: 2 });
    expect(await cinder.listVolumes('p1', {}).catch((e: unknown) => e)).toBeInstanceOf(OpenStackUnavailable);
    fake.fault('GET /volumes/detail', { status: 503, times: 1 });
    expect(await cinder.listVolumes('p1', {})).toEqual([]);
  });
});
