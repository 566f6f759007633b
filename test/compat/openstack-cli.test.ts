/**
 * Compatibility with the real OpenStack CLI: Debian's python3-openstackclient with the python3-blazarclient
 * plugin (`openstack reservation ...`), run as a child process against Climate listening on 127.0.0.1 without
 * Keystone (`--os-auth-type none --os-endpoint <url>/v1`). Every step goes through the CLI; what it printed
 * is compared with what Climate stored, read back over HTTP.
 *
 * A lease that starts at the next whole minute is created first and watched through `lease show` in the
 * background while the other tests run; the last test waits for it to end.
 *
 * tools/ensure-openstack-cli.sh installs the CLI from Debian's packages when it is missing.
 */
import request from 'supertest';
import { startTestService, type TestService } from '../support/service';
import { ensureOpenstackCli, INSTALL_TIMEOUT_MS, OPENSTACK, run, type RunResult } from './cli-support';

/** One CLI run (python start-up included) normally takes about a second. */
const CLI_TIMEOUT_MS = 60_000;
const MINUTE = 60_000;

// Each CLI run is a Python start-up: tests with several steps need more than jest's default.
jest.setTimeout(2 * MINUTE);

type Json = Record<string, unknown>;

let svc: TestService;
/** Stops the background lease watcher (and the CLI process it may be running) when the tests end early. */
const watcherAbort = new AbortController();

/** `openstack reservation <args>` against Climate, whatever its exit code. */
function cliRun(args: string[], signal?: AbortSignal): Promise<RunResult> {
  const full = ['--os-auth-type', 'none', '--os-endpoint', `${svc.url}/v1`, 'reservation', ...args];
  return run(OPENSTACK, full, { timeout: CLI_TIMEOUT_MS, signal });
}

/** `openstack reservation <args>` against Climate; fails the test unless it exits with 0. Returns stdout. */
async function cli(args: string[], signal?: AbortSignal): Promise<string> {
  const result = await cliRun(args, signal);
  if (result.code !== 0) {
    throw new Error(`openstack reservation ${args.join(' ')} exited with ${result.code}\n` +
      `stdout: ${result.stdout}\nstderr: ${result.stderr}`);
  }
  return result.stdout;
}

/** The JSON document of `-f json` output; create commands print a "Created a new ...:" line before it. */
async function cliJson<T = Json>(args: string[], signal?: AbortSignal): Promise<T> {
  const stdout = await cli([...args, '-f', 'json'], signal);
  const start = stdout.search(/^[[{]/m);
  if (start < 0) throw new Error(`no JSON in the output of openstack reservation ${args.join(' ')}:\n${stdout}`);
  return JSON.parse(stdout.slice(start)) as T;
}

/**
 * blazarclient shows a list of objects as their indented JSON documents joined by newlines (one string
 * column), and null as "". Turns a shown lease/host back into plain JSON for comparison with the API's.
 */
function fromCli(shown: Json, listKeys: string[] = []): Json {
  const out: Json = { ...shown };
  for (const key of listKeys) {
    const text = shown[key];
    if (typeof text !== 'string') throw new Error(`${key} is not shown as text: ${JSON.stringify(text)}`);
    out[key] = text === '' ? [] : JSON.parse(`[${text.split(/\n(?=\{)/).join(',')}]`);
  }
  return out;
}

/**
 * What the CLI is expected to show for an API object: top-level nulls become "", and a map (a host's
 * extra_capability) its JSON text indented by 4, as the CLI prints dicts.
 */
function asShown(api: Json): Json {
  const shown = (value: unknown) => (value === null ? '' : typeof value === 'object' && !Array.isArray(value) ? JSON.stringify(value, null, 4) : value);
  return Object.fromEntries(Object.entries(api).map(([key, value]) => [key, shown(value)]));
}

async function apiGet(urlPath: string): Promise<Json> {
  const res = await request(svc.app).get(urlPath);
  if (res.status !== 200) throw new Error(`GET ${urlPath}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as Json;
}

const apiLease = async (id: string) => (await apiGet(`/v1/leases/${id}`)).lease as Json;
const apiHost = async (id: string) => (await apiGet(`/v1/os-hosts/${id}`)).host as Json;
/** The hosts of an allocation listing that hold reservations (every host is listed, as Blazar does). */
const held = (allocations: Json[]) => allocations.filter((a) => (a.reservations as unknown[]).length);

/** `YYYY-MM-DD HH:MM` in UTC, as the CLI takes dates. */
const cliDate = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
/** How Climate renders lease dates (and blazarclient parses them back). */
const wireDate = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}.000000`;
/** A wire date back to milliseconds. */
const wireMs = (text: unknown) => Date.parse(`${String(text).slice(0, 19)}Z`);

/** `--reservation` value of a physical:host reservation, as the shell would hand it over. */
function hostReservation(min: number, max: number, hypervisorProperties: string, resourceProperties: string): string {
  return `resource_type=physical:host,min=${min},max=${max},hypervisor_properties=${hypervisorProperties},resource_properties=${resourceProperties}`;
}

const VCPUS_FILTER = '[">=", "$vcpus", "2"]';

interface Observation {
  at: number;
  status: string;
}

/**
 * Polls `lease show <id>` until the lease is TERMINATED (or ERROR), recording each status change: every second
 * within 10 s of the lease's start or end (`moments`), where its status changes, every 5 s elsewhere, since each
 * poll is a Python start-up taking CPU from the tests running meanwhile.
 */
async function watchLease(id: string, moments: number[], deadline: number, signal: AbortSignal): Promise<{ seen: Observation[]; last: Json }> {
  const seen: Observation[] = [];
  for (;;) {
    const shown = await cliJson(['lease', 'show', id], signal);
    const status = String(shown.status);
    if (seen.at(-1)?.status !== status) seen.push({ at: Date.now(), status });
    if (status === 'TERMINATED' || status === 'ERROR') return { seen, last: shown };
    if (signal.aborted) throw new Error('lease watcher stopped');
    if (Date.now() > deadline) throw new Error(`lease ${id} still ${status} after its end; seen: ${JSON.stringify(seen)}`);
    const nearest = Math.min(...moments.map((moment) => Math.abs(moment - Date.now())));
    await new Promise((resolve) => setTimeout(resolve, nearest < 10_000 ? 1000 : 5000));
  }
}

describe('openstack reservation CLI (python3-blazarclient) against Climate', () => {
  const hostIds: Record<string, string> = {};
  let timed: { id: string; start: number; end: number; watcher: Promise<{ seen: Observation[]; last: Json }> } | undefined;

  beforeAll(async () => {
    await ensureOpenstackCli();
    svc = await startTestService({ listen: true, manager: true, config: { manager: { pollIntervalMs: 200 } } });
    // Hosts with CPU counts for the `$vcpus` filters. Without Nova (compute driver "none") the counts come
    // from the registration: the CLI sends `--extra vcpus=4` as the string "4", which Climate stores as a number.
    for (const [name, vcpus] of [['big-1', 4], ['big-2', 8]] as const) {
      const created = fromCli(await cliJson(['host', 'create', '--extra', `vcpus=${vcpus}`, '--extra', 'memory_mb=8192',
        '--extra', 'local_gb=100', name]));
      expect(created).toMatchObject({ vcpus, memory_mb: 8192, local_gb: 100 });
      hostIds[name] = String(created.id);
    }
  }, INSTALL_TIMEOUT_MS + 60_000);

  afterAll(async () => {
    watcherAbort.abort();
    await timed?.watcher.catch(() => undefined);
    await svc?.close();
  });

  // The CLI takes dates to the minute, so the lease starts at a whole minute; 40 s is room for the two CLI runs
  // (create, then the watcher's first show) that must come before it starts: 20 s was too little on a loaded machine.
  it('creates a lease starting at the next whole minute at least 40 s away (watched in the background)', async () => {
    const created = fromCli(await cliJson(['host', 'create', '--extra', 'pool=timed', 'timed-host']));
    hostIds['timed-host'] = String(created.id);
    const start = Math.ceil((Date.now() + 40_000) / MINUTE) * MINUTE;
    const end = start + MINUTE;
    const lease = fromCli(await cliJson([
      'lease', 'create', '--start-date', cliDate(start), '--end-date', cliDate(end),
      '--reservation', hostReservation(1, 1, '', '["==", "$pool", "timed"]'), 'cli-timed',
    ]), ['reservations', 'events']);
    expect(lease).toMatchObject({ name: 'cli-timed', status: 'PENDING', start_date: wireDate(start), end_date: wireDate(end) });
    const id = String(lease.id);
    const watcher = watchLease(id, [start, end], end + 2 * MINUTE, watcherAbort.signal);
    watcher.catch(() => undefined); // awaited (and reported) by the last test
    timed = { id, start, end, watcher };
    expect(lease).toEqual(asShown(await apiLease(id)));
    const alloc = await apiGet(`/v1/os-hosts/allocations?lease_id=${id}`);
    expect(held(alloc.allocations as Json[])).toEqual([expect.objectContaining({ resource_id: hostIds['timed-host'] })]);
  });

  describe('hosts', () => {
    let computeId = '';

    it('host create with extra capabilities', async () => {
      const shown = await cliJson(['host', 'create', '--extra', 'gpu=True', '--extra', 'bmc_address=10.0.0.5', 'compute-1']);
      expect(shown).toMatchObject({ hypervisor_hostname: 'compute-1', gpu: 'True', bmc_address: '10.0.0.5' });
      expect(String(shown.id)).toMatch(/^\d+$/);
      computeId = String(shown.id);
      expect(shown).toEqual(asShown(await apiHost(computeId)));
      const second = await cliJson(['host', 'create', '--extra', 'gpu=False', 'compute-2']);
      expect(second).toMatchObject({ hypervisor_hostname: 'compute-2', gpu: 'False' });
      hostIds['compute-2'] = String(second.id);
    });

    it('host list', async () => {
      const listed = await cliJson<Json[]>(['host', 'list']);
      const stored = (await apiGet('/v1/os-hosts')).hosts as Json[];
      expect(stored).toHaveLength(5);
      const columns = ['id', 'hypervisor_hostname', 'vcpus', 'memory_mb', 'local_gb'];
      expect(listed).toEqual(expect.arrayContaining(stored.map((h) => Object.fromEntries(columns.map((c) => [c, h[c]])))));
      expect(listed).toHaveLength(stored.length);
      expect(listed.find((h) => h.hypervisor_hostname === 'big-2')).toMatchObject({ id: hostIds['big-2'], vcpus: 8, memory_mb: 8192 });
    });

    it('host show by id and by name', async () => {
      const stored = asShown(await apiHost(computeId));
      expect(await cliJson(['host', 'show', computeId])).toEqual(stored);
      expect(await cliJson(['host', 'show', 'compute-1'])).toEqual(stored);
    });

    it('host set --extra', async () => {
      expect(await cli(['host', 'set', '--extra', 'gpu=False', 'compute-1'])).toContain('Updated host: compute-1');
      const stored = await apiHost(computeId);
      expect(stored).toMatchObject({ gpu: 'False', bmc_address: '10.0.0.5' });
      expect(await cliJson(['host', 'show', 'compute-1'])).toEqual(asShown(stored));
    });

    it('host property list --detail, and host property set --private / --public', async () => {
      const detailed = await cliJson<Json[]>(['host', 'property', 'list', '--detail']);
      const stored = ((await apiGet('/v1/os-hosts/properties?detail=True')).resource_properties as Json[])
        // blazarclient renames "values" (a reserved word in cliff) to "property_values"
        .map(({ values, ...rest }) => ({ ...rest, property_values: values }));
      expect(detailed).toEqual(expect.arrayContaining(stored));
      expect(detailed).toHaveLength(stored.length);
      // compute-1 was set to gpu=False, compute-2 was created with it
      expect(detailed.find((p) => p.property === 'gpu')).toEqual({ property: 'gpu', private: false, property_values: ['False'] });
      expect(detailed.find((p) => p.property === 'bmc_address')).toEqual({ property: 'bmc_address', private: false, property_values: ['10.0.0.5'] });
      expect(detailed.map((p) => p.property).sort()).toEqual(['bmc_address', 'gpu', 'pool']);

      expect(await cli(['host', 'property', 'set', '--private', 'gpu'])).toContain('Updated host property: gpu');
      const privateOne = ((await apiGet('/v1/os-hosts/properties?detail=True&all=True')).resource_properties as Json[])
        .find((p) => p.property === 'gpu');
      expect(privateOne).toMatchObject({ private: true });
      expect((await cliJson<Json[]>(['host', 'property', 'list', '--detail'])).map((p) => p.property).sort())
        .toEqual(['bmc_address', 'pool']);
      expect((await cliJson<Json[]>(['host', 'property', 'list', '--detail', '--all'])).find((p) => p.property === 'gpu'))
        .toMatchObject({ private: true });

      expect(await cli(['host', 'property', 'set', '--public', 'gpu'])).toContain('Updated host property: gpu');
      expect(await cliJson<Json[]>(['host', 'property', 'list'])).toEqual(
        expect.arrayContaining([{ property: 'gpu' }, { property: 'bmc_address' }, { property: 'pool' }]),
      );
      expect((await cliJson<Json[]>(['host', 'property', 'list', '--detail'])).find((p) => p.property === 'gpu'))
        .toMatchObject({ private: false });
    });

    it('host delete by name and by id', async () => {
      expect(await cli(['host', 'delete', 'compute-1'])).toContain('Deleted host: compute-1');
      expect((await request(svc.app).get(`/v1/os-hosts/${computeId}`)).status).toBe(404);
      expect(await cli(['host', 'delete', hostIds['compute-2']])).toContain(`Deleted host: ${hostIds['compute-2']}`);
      expect((await request(svc.app).get(`/v1/os-hosts/${hostIds['compute-2']}`)).status).toBe(404);
      const names = (await cliJson<Json[]>(['host', 'list'])).map((h) => h.hypervisor_hostname).sort();
      expect(names).toEqual(['big-1', 'big-2', 'timed-host']);
    });
  });

  describe('leases', () => {
    // Far enough ahead not to overlap the lease that starts now (which ends in 1 to 2 days).
    const day = 24 * 60 * MINUTE;
    const futureStart = Math.floor((Date.now() + 30 * day) / day) * day + 12 * 60 * MINUTE;
    const futureEnd = futureStart + day;
    let futureId = '';
    let nowId = '';

    it('lease create with a physical:host reservation and dates', async () => {
      const lease = fromCli(await cliJson([
        'lease', 'create', '--start-date', cliDate(futureStart), '--end-date', cliDate(futureEnd),
        '--reservation', hostReservation(1, 2, VCPUS_FILTER, ''), 'cli-future',
      ]), ['reservations', 'events']);
      futureId = String(lease.id);
      expect(lease).toMatchObject({ name: 'cli-future', status: 'PENDING', start_date: wireDate(futureStart), end_date: wireDate(futureEnd) });
      expect(lease.reservations).toEqual([expect.objectContaining({
        resource_type: 'physical:host', min: 1, max: 2, hypervisor_properties: VCPUS_FILTER, resource_properties: '', status: 'pending',
      })]);
      expect(lease.events).toEqual(expect.arrayContaining([
        expect.objectContaining({ event_type: 'start_lease', time: wireDate(futureStart), status: 'UNDONE' }),
        expect.objectContaining({ event_type: 'end_lease', time: wireDate(futureEnd), status: 'UNDONE' }),
      ]));
      expect(lease).toEqual(asShown(await apiLease(futureId)));
      const alloc = held((await apiGet(`/v1/os-hosts/allocations?lease_id=${futureId}`)).allocations as Json[]);
      expect(alloc.length).toBeGreaterThanOrEqual(1);
      for (const a of alloc) expect([hostIds['big-1'], hostIds['big-2']]).toContain(a.resource_id);
    });

    it('lease create without --start-date starts now', async () => {
      const before = Math.floor(Date.now() / MINUTE) * MINUTE;
      const created = fromCli(await cliJson([
        'lease', 'create', '--reservation', hostReservation(1, 1, VCPUS_FILTER, ''), 'cli-now',
      ]), ['reservations', 'events']);
      nowId = String(created.id);
      const startMs = wireMs(created.start_date);
      expect(startMs).toBeGreaterThanOrEqual(before);
      expect(startMs).toBeLessThanOrEqual(Date.now());
      // The CLI's default end: 24 h after it was started, to the minute.
      expect(wireMs(created.end_date) - startMs).toBeGreaterThan(day - 2 * MINUTE);
      expect(wireMs(created.end_date) - startMs).toBeLessThanOrEqual(day);
      let shown = fromCli(await cliJson(['lease', 'show', nowId]), ['reservations', 'events']);
      for (let i = 0; shown.status !== 'ACTIVE' && i < 20; i++) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        shown = fromCli(await cliJson(['lease', 'show', nowId]), ['reservations', 'events']);
      }
      expect(shown.status).toBe('ACTIVE');
      expect(shown.reservations).toEqual([expect.objectContaining({ status: 'active' })]);
      expect(shown.events).toEqual(expect.arrayContaining([expect.objectContaining({ event_type: 'start_lease', status: 'DONE' })]));
      expect(shown).toEqual(asShown(await apiLease(nowId)));
    });

    it('lease list', async () => {
      const listed = await cliJson<Json[]>(['lease', 'list']);
      const stored = (await apiGet('/v1/leases')).leases as Json[];
      const columns = ['id', 'name', 'start_date', 'end_date'];
      expect(listed).toHaveLength(3);
      expect(listed).toEqual(expect.arrayContaining(stored.map((l) => Object.fromEntries(columns.map((c) => [c, l[c]])))));
      // sorted by name by default
      expect(listed.map((l) => l.name)).toEqual(['cli-future', 'cli-now', 'cli-timed']);
    });

    it('lease show by name', async () => {
      const shown = fromCli(await cliJson(['lease', 'show', 'cli-future']), ['reservations', 'events']);
      expect(shown.id).toBe(futureId);
      expect(shown).toEqual(asShown(await apiLease(futureId)));
      // the default table output as well
      const table = await cli(['lease', 'show', 'cli-future']);
      expect(table).toMatch(new RegExp(`\\|\\s*id\\s*\\|\\s*${futureId}\\s*\\|`));
      expect(table).toMatch(/\|\s*status\s*\|\s*PENDING\s*\|/);
    });

    it('errors: the CLI exits 1 and prints the error_message Climate sent', async () => {
      // cli-future holds at least one of the two big hosts over this period, so two are not free.
      const body = {
        name: 'cli-too-many', start_date: cliDate(futureStart), end_date: cliDate(futureEnd), events: [], before_end_date: null,
        reservations: [{ resource_type: 'physical:host', min: 2, max: 2, hypervisor_properties: VCPUS_FILTER, resource_properties: '' }],
      };
      const refused = await cliRun([
        'lease', 'create', '--start-date', body.start_date, '--end-date', body.end_date,
        '--reservation', hostReservation(2, 2, VCPUS_FILTER, ''), body.name,
      ]);
      const api = await request(svc.app).post('/v1/leases').send(body);
      expect(api.status).toBe(409);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`ERROR: ${api.body.error_message}`);

      const missing = await cliRun(['host', 'show', '999999']);
      const notFound = await request(svc.app).get('/v1/os-hosts/999999');
      expect(notFound.status).toBe(404);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain(`ERROR: ${notFound.body.error_message}`);
      expect((await apiGet('/v1/leases')).leases).toHaveLength(3);
    });

    it('lease set --prolong-for, --reduce-by, --defer-by, --name', async () => {
      const dates = async () => {
        const l = await apiLease(futureId);
        return [l.start_date, l.end_date];
      };
      expect(await cli(['lease', 'set', '--prolong-for', '1d', 'cli-future'])).toContain('Updated lease: cli-future');
      expect(await dates()).toEqual([wireDate(futureStart), wireDate(futureEnd + day)]);
      expect(await cli(['lease', 'set', '--reduce-by', '1h', 'cli-future'])).toContain('Updated lease: cli-future');
      expect(await dates()).toEqual([wireDate(futureStart), wireDate(futureEnd + day - 60 * MINUTE)]);
      expect(await cli(['lease', 'set', '--defer-by', '1h', futureId])).toContain(`Updated lease: ${futureId}`);
      expect(await dates()).toEqual([wireDate(futureStart + 60 * MINUTE), wireDate(futureEnd + day - 60 * MINUTE)]);
      expect(await cli(['lease', 'set', '--name', 'cli-future-renamed', 'cli-future'])).toContain('Updated lease: cli-future');
      const stored = await apiLease(futureId);
      expect(stored.name).toBe('cli-future-renamed');
      const shown = fromCli(await cliJson(['lease', 'show', 'cli-future-renamed']), ['reservations', 'events']);
      expect(shown).toMatchObject({ id: futureId, status: 'PENDING', start_date: wireDate(futureStart + 60 * MINUTE) });
      expect(shown.events).toEqual(expect.arrayContaining([
        expect.objectContaining({ event_type: 'start_lease', time: wireDate(futureStart + 60 * MINUTE) }),
        expect.objectContaining({ event_type: 'end_lease', time: wireDate(futureEnd + day - 60 * MINUTE) }),
      ]));
      expect(shown).toEqual(asShown(stored));

      // an active lease can be prolonged as well
      const nowBefore = await apiLease(nowId);
      expect(await cli(['lease', 'set', '--prolong-for', '1d', 'cli-now'])).toContain('Updated lease: cli-now');
      const nowAfter = await apiLease(nowId);
      expect(wireMs(nowAfter.end_date) - wireMs(nowBefore.end_date)).toBe(day);
      expect(nowAfter).toMatchObject({ status: 'ACTIVE', start_date: nowBefore.start_date });
    });

    it('lease delete by name and by id', async () => {
      expect(await cli(['lease', 'delete', 'cli-future-renamed'])).toContain('Deleted lease: cli-future-renamed');
      expect((await request(svc.app).get(`/v1/leases/${futureId}`)).status).toBe(404);
      expect(await cli(['lease', 'delete', nowId])).toContain(`Deleted lease: ${nowId}`);
      expect((await request(svc.app).get(`/v1/leases/${nowId}`)).status).toBe(404);
      expect(held((await apiGet(`/v1/os-hosts/allocations?lease_id=${futureId}`)).allocations as Json[])).toEqual([]);
      expect((await cliJson<Json[]>(['lease', 'list'])).map((l) => l.name)).toEqual(['cli-timed']);
    });
  });

  it('the lease that started at the next minute became ACTIVE, then TERMINATED', async () => {
    if (!timed) throw new Error('the timed lease was not created');
    const { seen, last } = await timed.watcher;
    const stable = seen.map((o) => o.status).filter((s) => !['STARTING', 'TERMINATING', 'UPDATING'].includes(s));
    expect(stable).toEqual(['PENDING', 'ACTIVE', 'TERMINATED']);
    const active = seen.find((o) => o.status === 'ACTIVE')!;
    const terminated = seen.find((o) => o.status === 'TERMINATED')!;
    expect(active.at).toBeGreaterThanOrEqual(timed.start);
    expect(active.at).toBeLessThan(timed.start + 30_000);
    expect(terminated.at).toBeGreaterThanOrEqual(timed.end);
    expect(terminated.at).toBeLessThan(timed.end + 30_000);

    const shown = fromCli(last, ['reservations', 'events']);
    expect(shown.events).toEqual(expect.arrayContaining([
      expect.objectContaining({ event_type: 'start_lease', time: wireDate(timed.start), status: 'DONE' }),
      expect.objectContaining({ event_type: 'end_lease', time: wireDate(timed.end), status: 'DONE' }),
    ]));
    for (const event of shown.events as Json[]) expect(event.status).toBe('DONE');
    expect(shown.reservations).toEqual([expect.objectContaining({ status: 'deleted' })]);
    expect(shown).toEqual(asShown(await apiLease(timed.id)));
  }, 5 * MINUTE);
});
