/**
 * A small seeded generator of malformed API requests. Every request it makes is wrong by construction: it
 * starts from a valid body (see `validBaseRequests`) and applies one or more mutations, each of which alone
 * makes the request invalid (a wrong type, a missing or unknown field, a bad date or filter, an id that does
 * not exist, ...). A mutation never "repairs" an earlier one: each sets its own field(s) to a bad value, so the
 * last one applied is always present in the request.
 *
 * Deterministic for a given seed, so a failure can be replayed.
 */

/** mulberry32: tiny, fast, good enough to drive test inputs. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface FuzzRequest {
  /** What was broken, for failure reports. */
  label: string;
  method: HttpMethod;
  /** Path with query string. */
  path: string;
  /** Raw body text; undefined sends none. */
  body?: string;
  contentType?: string;
}

/** What the database holds before the run; the generator refers to it for ids, names and duplicates. */
export interface FuzzFixtures {
  /** A pending lease of the default (admin) project and one of its reservations (physical:host). */
  leaseId: string;
  reservationId: string;
  /** A reservation of another lease. */
  foreignReservationId: string;
  /** Names of existing leases of the default project. */
  leaseNames: string[];
  /** Ids and names of registered hosts. */
  hostIds: string[];
  hostNames: string[];
  /** A host a pending reservation holds by `["==", "$<key>", "<value>"]`, with a value that breaks it. */
  guardedHost: { id: string; key: string; breakingValue: string };
  /** Existing property names. */
  properties: string[];
  /** A registered floating IP. */
  floatingIp: { networkId: string; address: string };
}

type Body = Record<string, unknown>;

/** Sets an own property, even "__proto__" (a plain assignment would replace the prototype and send nothing). */
function put(body: Body, key: string, value: unknown): void {
  Object.defineProperty(body, key, { value, enumerable: true, writable: true, configurable: true });
}

type Mutation = { label: string; apply: (body: Body) => void };

/** Values of every JSON type; each field picks the ones that are wrong for it. */
const ANY_VALUES: readonly unknown[] = [
  null, true, false, 0, -1, 42, 1.5, -0.25, 1e300, '', 'x', 'some text', [], [1, 2], ['a'], {}, { a: 1 }, [[[]]], { nested: { deeper: [null] } },
];
const isString = (v: unknown) => typeof v === 'string';
const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);

function huge(rng: Rng, min = 300, max = 200_000): string {
  return rng.pick(['x', 'é', '\u{1F600}', 'ab"c\\']).repeat(rng.int(min, max));
}

/** Arrays (or objects) nested `depth` levels deep; kept shallow enough for JSON.stringify and structuredClone. */
function deep(rng: Rng, depth: number): unknown {
  let value: unknown = rng.pick([1, 'x', null]);
  const asObject = rng.chance(0.5);
  for (let i = 0; i < depth; i++) value = asObject ? { a: value } : [value];
  return value;
}

/** JSON text nested far deeper than any body may be (built as text: JSON.stringify would overflow the stack). */
function deepText(rng: Rng, depth = rng.int(101, 20_000)): string {
  const leaf = rng.pick(['1', '"x"', 'null']);
  return rng.chance(0.5) ? `${'{"a":'.repeat(depth)}${leaf}${'}'.repeat(depth)}` : `${'['.repeat(depth)}${leaf}${']'.repeat(depth)}`;
}

/** `body` as JSON text with `key` set to the raw JSON `valueText`. */
function withRawField(body: Body, key: string, valueText: string): string {
  const rest = { ...body };
  delete rest[key];
  const text = JSON.stringify(rest);
  return `${text.slice(0, -1)}${text.length > 2 ? ',' : ''}${JSON.stringify(key)}:${valueText}}`;
}

/** Dates no client may send: wrong types, wrong syntax, impossible values. None is valid after trimming. */
function badDate(rng: Rng, allowNull: boolean): unknown {
  const strings = [
    '', 'tomorrow', 'now-ish', 'nowadays', '2035-13-01 12:00', '2035-02-30 12:00', '2035-01-01 24:00', '2035-01-01 12:60',
    '2035-1-1 12:00', '01/02/2035 12:00', '2035-01-01', '12:00', '2035-01-01 12:00:00:00', '2035-01-01T12:00:00+25:00',
    '2035-01-01T12:00:00+01:99', '0035-01-01 12:00', '10000-01-01 12:00', '2035-01-01 12:00 UTC', '2035-01-01 12:00\u0000',
    '2035-01-01 12', '2035-01-01 12:00:61', '2035-00-10 12:00', '9999-12-31T23:59:00-05:00', 'null', 'None',
  ];
  const others: unknown[] = [0, 20350101, 1.5, true, false, [], {}, ['2035-01-01 12:00'], { date: '2035-01-01 12:00' }];
  if (!allowNull) others.push(null);
  const r = rng.next();
  if (r < 0.6) return rng.pick(strings);
  if (r < 0.9) return rng.pick(others);
  return rng.chance(0.5) ? huge(rng) : deep(rng, rng.int(2, 120));
}

/** Filters the filter language refuses (syntax, unknown keys, types), as JSON text or as Heat's arrays. */
function badFilter(rng: Rng): unknown {
  const d = rng.int(33, 1500);
  const texts = [
    '[', '{}', '"x"', '5', 'true', '""', '{"op": ">="}', '["foo"]', '[">=", "vcpus", "2"]', '[">=", "$vcpus"]', '[">=", "$vcpus", "2", "3"]',
    '["~", "$vcpus", "2"]', '[">=", "$nosuchkey", "2"]', '[">=", "$vcpus", "abc"]', '[">", "$reservable", true]', '["in", "$gpu"]',
    '["not"]', '["not", ["==", "$gpu", "True"], ["==", "$gpu", "True"]]', '["and"]', '[[">=", "$vcpus", "2"]]', '["==", "$", "x"]',
    '["==", "$gpu", null]', '["==", "$gpu", {"a": 1}]', '["==", "$gpu", ["True"]]', '["==", 5, "x"]', '["and", ["==", "$gpu", "True"], 7]',
    '["==", "$vcpus", "2"', `${'["not", '.repeat(d)}["==", "$gpu", "True"]${']'.repeat(d)}`,
    JSON.stringify(['in', '$gpu', ...Array.from({ length: 1001 }, (_, i) => `v${i}`)]),
    JSON.stringify(['==', '$gpu', 'x'.repeat(70_000)]),
    '["or", ["==", "$hypervisor_hostname", "a"], [">=", "$memory_mb", "lots"]]',
  ];
  const others: unknown[] = [5, true, false, {}, { a: 1 }, [['>=', '$vcpus']], ['foo'], [1, 2, 3], ['>=', '$vcpus', { x: 1 }], ['==', '$nosuchkey', 'v']];
  return rng.chance(0.75) ? rng.pick(texts) : rng.pick(others);
}

/** Bodies that are not a JSON object at all (or not JSON). `base` is a valid body to truncate or corrupt. */
function badWholeBody(rng: Rng, base: Body): { label: string; body: string; contentType?: string } {
  const text = JSON.stringify(base);
  const choices: (() => { label: string; body: string; contentType?: string })[] = [
    () => ({ label: 'not JSON', body: rng.pick(['not json', '{', '}', '[', '{"a":}', "{'a': 1}", '<lease/>', 'NaN', 'undefined', '\u0000', '{"a" 1}', ',']) }),
    () => ({ label: 'form-encoded body', body: 'name=x&end_date=2035-01-02+12%3A00', contentType: 'application/x-www-form-urlencoded' }),
    () => ({ label: 'JSON scalar or array body', body: rng.pick(['null', 'true', '42', '"string"', '[]', '[{}]', JSON.stringify([base])]) }),
    () => ({ label: 'truncated JSON', body: text.slice(0, rng.int(1, text.length - 1)) }),
    () => ({ label: 'JSON with trailing garbage', body: `${text}${rng.pick(['x', '}', ',', ' {}', '\n]'])}` }),
    () => ({ label: 'deeply nested field', body: withRawField(base, rng.pick(Object.keys(base)), deepText(rng)) }),
    () => ({ label: 'body nested as a bare value', body: deepText(rng) }),
    () => ({ label: 'JSON sent as text/plain but broken', body: text.slice(1), contentType: 'text/plain' }),
  ];
  return rng.pick(choices)();
}

/** An unknown-field name for bodies that refuse unknown fields. */
const UNKNOWN_FIELDS = ['foo', 'Name', 'start', 'status', 'id', 'project_id', 'user_id', '', ' name', 'reservation', 'trust_id', '__proto__', 'constructor', 'end-date'];

/** Wrong values for a field whose valid values `ok` accepts. */
function wrongValue(rng: Rng, ok: (v: unknown) => boolean, extra: unknown[] = []): unknown {
  const pool = [...ANY_VALUES, ...extra].filter((v) => !ok(v));
  const r = rng.next();
  if (r < 0.85 || pool.length === 0) return rng.pick(pool);
  return deep(rng, rng.int(2, 99));
}

function applyMutations(rng: Rng, base: Body, mutations: Mutation[]): { label: string; body: Body } {
  const body = structuredClone(base);
  const count = rng.chance(0.75) ? 1 : rng.int(2, 3);
  const labels: string[] = [];
  for (let i = 0; i < count; i++) {
    const m = rng.pick(mutations);
    m.apply(body);
    labels.push(m.label);
  }
  return { label: labels.join(' + '), body };
}

// ---- Leases -------------------------------------------------------------------------------------------------

let serial = 0;
const unique = (prefix: string) => `${prefix}-${++serial}`;

function leaseCreateBase(): Body {
  return {
    name: unique('fuzz-lease'), start_date: '2035-01-01 12:00', end_date: '2035-01-02 12:00',
    reservations: [{ resource_type: 'physical:host', min: 1, max: 1, hypervisor_properties: '[">=", "$vcpus", "1"]', resource_properties: '' }],
    events: [], before_end_date: null,
  };
}

/** The first reservation of the body, put back to `fresh()` first if an earlier mutation broke the list. */
function reservationOf(b: Body, fresh: () => Body): Body {
  const list = b.reservations;
  if (!Array.isArray(list) || !isObject(list[0])) b.reservations = [fresh()];
  return (b.reservations as Body[])[0];
}
/** Counts no reservation may have. Numeric strings ("2") are valid, since Heat sends them, so none is here. */
const badCounts: unknown[] = [0, -1, -1000, 1.5, 'abc', '1.5', '', '-3', '0', true, false, null, [], {}, [1], 1e300, 2 ** 53, { n: 1 }];

function reservationMutations(rng: Rng, fx: FuzzFixtures, forUpdate: boolean): Mutation[] {
  const fresh = forUpdate ? () => ({ id: fx.reservationId }) : () => reservationOf(leaseCreateBase(), () => ({}));
  const reservation = (b: Body) => reservationOf(b, fresh);
  const hostReservationFields = ['min', 'max', 'hypervisor_properties', 'resource_properties', 'before_end'];
  return [
    { label: 'bad min', apply: (b) => { reservation(b).min = rng.pick(badCounts); } },
    { label: 'bad max', apply: (b) => { reservation(b).max = rng.pick(badCounts); } },
    {
      label: 'min > max', apply: (b) => {
        const max = rng.int(1, 50);
        Object.assign(reservation(b), { min: max + rng.int(1, 1000), max });
      },
    },
    { label: 'bad hypervisor_properties', apply: (b) => { reservation(b).hypervisor_properties = badFilter(rng); } },
    { label: 'bad resource_properties', apply: (b) => { reservation(b).resource_properties = badFilter(rng); } },
    { label: 'bad before_end', apply: (b) => { reservation(b).before_end = wrongValue(rng, (v) => v === null || isString(v)); } },
    {
      label: 'unknown reservation parameter',
      apply: (b) => { reservation(b)[rng.pick(['foo', 'amount', 'vcpus', 'Min', 'network_id', 'hosts'])] = rng.pick(ANY_VALUES); },
    },
    { label: 'more hosts than exist', apply: (b) => { Object.assign(reservation(b), { min: rng.int(50, 500), max: 500 }); } },
    ...(forUpdate
      ? [
        { label: 'reservation id of another lease', apply: (b: Body) => { reservation(b).id = fx.foreignReservationId; } },
        { label: 'unknown reservation id', apply: (b: Body) => { reservation(b).id = rng.pick(['nope', '00000000-0000-0000-0000-000000000000', fx.leaseId]); } },
        { label: 'missing reservation id', apply: (b: Body) => { delete reservation(b).id; } },
        { label: 'bad reservation id type', apply: (b: Body) => { reservation(b).id = wrongValue(rng, isString); } },
        { label: 'changed resource_type', apply: (b: Body) => { reservation(b).resource_type = rng.pick(['virtual:instance', 'virtual:floatingip', 'x']); } },
      ]
      : [
        { label: 'missing min or max', apply: (b: Body) => { delete reservation(b)[rng.pick(['min', 'max'])]; } },
        {
          label: 'bad resource_type',
          apply: (b: Body) => { reservation(b).resource_type = rng.pick([null, '', 1, 'virtual:nothing', 'physical:host ', 'PHYSICAL:HOST', 'physical', [], {}]); },
        },
        { label: 'missing resource_type', apply: (b: Body) => { delete reservation(b).resource_type; } },
        { label: 'only the type-specific keys of another plugin', apply: (b: Body) => { b.reservations = [{ resource_type: 'physical:host', amount: 2, vcpus: 1 }]; } },
      ]),
    {
      label: 'reservation that is not an object',
      apply: (b) => { b.reservations = [rng.pick([null, 1, 'physical:host', [], [hostReservationFields], true])]; },
    },
  ];
}

function leaseCreateMutations(rng: Rng, fx: FuzzFixtures): Mutation[] {
  return [
    { label: 'bad name', apply: (b) => { b.name = rng.chance(0.2) ? huge(rng, 81, 5000) : wrongValue(rng, (v) => isString(v) && v.trim() !== '', ['   ', '\t\n']); } },
    { label: 'missing name', apply: (b) => { delete b.name; } },
    { label: 'name of an existing lease', apply: (b) => { b.name = rng.pick(fx.leaseNames); } },
    // Null is a valid start_date on create ("now").
    { label: 'bad start_date', apply: (b) => { b.start_date = badDate(rng, true); } },
    { label: 'bad end_date', apply: (b) => { b.end_date = badDate(rng, false); } },
    { label: 'missing end_date', apply: (b) => { delete b.end_date; } },
    { label: 'bad before_end_date', apply: (b) => { b.before_end_date = badDate(rng, true); } },
    { label: 'bad before_start_date', apply: (b) => { b.before_start_date = badDate(rng, true); } },
    { label: 'end before start', apply: (b) => { Object.assign(b, { start_date: '2035-03-02 12:00', end_date: rng.pick(['2035-03-01 12:00', '2035-03-02 12:00', '2035-03-02 11:59']) }); } },
    { label: 'start in the past', apply: (b) => { b.start_date = rng.pick(['2001-01-01 00:00', '1999-12-31 23:59', '2020-06-01T12:00:00+02:00']); } },
    { label: 'end in the past', apply: (b) => { Object.assign(b, { start_date: 'now', end_date: '2002-01-01 00:00' }); } },
    {
      label: 'before_end_date outside the lease',
      apply: (b) => { Object.assign(b, { start_date: '2035-04-01 00:00', end_date: '2035-04-02 00:00', before_end_date: rng.pick(['2035-03-31 23:00', '2035-04-02 00:01']) }); },
    },
    {
      label: 'before_start_date after the start',
      apply: (b) => { Object.assign(b, { start_date: '2035-04-01 00:00', end_date: '2035-04-02 00:00', before_start_date: '2035-04-01 00:30' }); },
    },
    { label: 'bad reservations', apply: (b) => { b.reservations = wrongValue(rng, Array.isArray, [[null], [1], ['x'], [[]]]); } },
    {
      label: 'bad events',
      apply: (b) => {
        b.events = rng.pick<unknown>([
          null, 'x', 1, {}, [null], [1], ['notification'], [{}], [{ event_type: 'notification' }], [{ event_type: 1, event_date: '2035-01-01 18:00' }],
          [{ event_type: 'start_lease', event_date: '2035-01-01 18:00' }], [{ event_type: 'end_lease', time: '2035-01-01 18:00' }],
          [{ event_type: 'notification', event_date: badDate(rng, false) }], [{ event_type: 'bad type!', event_date: '2035-01-01 18:00' }],
          [{ event_type: 'x'.repeat(61), event_date: '2035-01-01 18:00' }], [{ event_type: 'notification', time: badDate(rng, false) }],
          [{ event_type: null, event_date: '2035-01-01 18:00' }],
        ]);
      },
    },
    { label: 'unknown field', apply: (b) => { put(b, rng.pick(UNKNOWN_FIELDS), rng.pick(ANY_VALUES)); } },
    ...reservationMutations(rng, fx, false),
  ];
}

function leaseUpdateMutations(rng: Rng, fx: FuzzFixtures): Mutation[] {
  return [
    { label: 'bad name', apply: (b) => { b.name = rng.chance(0.2) ? huge(rng, 81, 5000) : wrongValue(rng, (v) => isString(v) && v.trim() !== '', ['   ']); } },
    { label: 'name of another lease', apply: (b) => { b.name = rng.pick(fx.leaseNames.slice(1)); } },
    { label: 'bad start_date', apply: (b) => { b.start_date = badDate(rng, false); } },
    { label: 'bad end_date', apply: (b) => { b.end_date = badDate(rng, false); } },
    { label: 'bad before_end_date', apply: (b) => { b.before_end_date = badDate(rng, true); } },
    { label: 'bad before_start_date', apply: (b) => { b.before_start_date = badDate(rng, true); } },
    { label: 'end before start', apply: (b) => { Object.assign(b, { start_date: '2035-06-02 12:00', end_date: '2035-06-01 12:00' }); } },
    { label: 'start in the past', apply: (b) => { b.start_date = '2001-01-01 00:00'; } },
    { label: 'bad reservations', apply: (b) => { b.reservations = wrongValue(rng, Array.isArray, [[null], [1], ['x'], [[]]]); } },
    { label: 'field PUT does not take', apply: (b) => { put(b, rng.pick([...UNKNOWN_FIELDS, 'events']), rng.pick(ANY_VALUES)); } },
    ...reservationMutations(rng, fx, true),
  ];
}

// ---- Hosts, properties, floating IPs ------------------------------------------------------------------------

const HOST_INT_FIELDS = ['vcpus', 'memory_mb', 'local_gb', 'hypervisor_version'];
const HOST_TEXT_FIELDS = ['hypervisor_type', 'cpu_info', 'service_name', 'availability_zone'];
const SHADOWING_KEYS = ['id', 'status', 'reservable', 'trust_id', 'created_at', 'updated_at', 'hypervisor_hostname'];
const BAD_KEYS = () => ['k'.repeat(65), 'a b', 'é', 'a/b', '$gpu', '', 'tab\t', 'x'.repeat(300), '__proto__', 'quo"te'];
/** Capability values no host can have: containers, and strings over 255 characters. Null is valid (ignored or "remove"). */
function badCapabilityValue(rng: Rng): unknown {
  return rng.pick<unknown>([[], ['True'], {}, { v: 1 }, [[1]], 'v'.repeat(rng.int(256, 5000)), deep(rng, rng.int(2, 50))]);
}

function hostCreateBase(): Body {
  return { name: unique('fuzz-host'), vcpus: 4, memory_mb: 1024, gpu: 'True' };
}

function hostCreateMutations(rng: Rng, fx: FuzzFixtures): Mutation[] {
  return [
    { label: 'bad name', apply: (b) => { b.name = rng.chance(0.2) ? huge(rng, 256, 5000) : wrongValue(rng, (v) => isString(v) && v.trim() !== '', ['   ']); } },
    { label: 'missing name', apply: (b) => { delete b.name; } },
    { label: 'name of an existing host', apply: (b) => { b.name = rng.pick(fx.hostNames); } },
    {
      label: 'bad integer field',
      apply: (b) => {
        const field = rng.pick(HOST_INT_FIELDS);
        const max = field === 'hypervisor_version' ? Number.MAX_SAFE_INTEGER : 2 ** 31 - 1;
        // Digit strings are valid (the CLI sends `--extra vcpus=4` as "4"); other strings are not.
        const valid = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max)
          || (typeof v === 'string' && /^[0-9]{1,10}$/.test(v) && Number(v) <= max);
        b[field] = wrongValue(rng, valid, ['4.5', ' 4', '0x10', String(2 ** 31), 2 ** 31, 2 ** 53, -7]);
      },
    },
    { label: 'bad text field', apply: (b) => { b[rng.pick(HOST_TEXT_FIELDS)] = rng.chance(0.3) ? huge(rng, 66_000, 70_000) : wrongValue(rng, isString); } },
    { label: 'bad capability value', apply: (b) => { b[rng.pick(['gpu', 'rack', 'new_cap'])] = badCapabilityValue(rng); } },
    { label: 'bad capability key', apply: (b) => { put(b, rng.pick(BAD_KEYS()), 'v'); } },
    { label: 'capability shadowing a host field', apply: (b) => { b[rng.pick(SHADOWING_KEYS)] = rng.pick(['x', 1, true]); } },
  ];
}

function hostUpdateMutations(rng: Rng): Mutation[] {
  return [
    { label: 'bad capability value', apply: (b) => { b[rng.pick(['gpu', 'colour', 'new_cap'])] = badCapabilityValue(rng); } },
    { label: 'bad capability key', apply: (b) => { put(b, rng.pick(BAD_KEYS()), 'v'); } },
    { label: 'not a capability', apply: (b) => { b[rng.pick([...HOST_INT_FIELDS, ...HOST_TEXT_FIELDS, ...SHADOWING_KEYS, 'name'])] = rng.pick(['x', 1, null]); } },
  ];
}

function propertyMutations(rng: Rng): Mutation[] {
  return [
    { label: 'bad private', apply: (b) => { b.private = wrongValue(rng, (v) => typeof v === 'boolean', ['true', 'True', 1, 0]); } },
    { label: 'missing private', apply: (b) => { delete b.private; } },
    { label: 'unknown field', apply: (b) => { b[rng.pick(['public', 'name', 'values', 'Private', ''])] = rng.pick(ANY_VALUES); } },
  ];
}

function floatingIpBase(): Body {
  return { floating_network_id: '3c8e4b5a-1d2f-4e6a-9b7c-0d1e2f3a4b5c', floating_ip_address: `10.9.${serial % 250}.${(++serial % 250) + 1}` };
}

function floatingIpMutations(rng: Rng, fx: FuzzFixtures): Mutation[] {
  const badAddresses = ['300.1.1.1', 'abc', '', '1.2.3', '1.2.3.4.5', '::g', '10.0.0.1/32', ' 10.0.0.1', '10.0.0.1 ', '0x0a000001', '1.2.3.04a', 'localhost'];
  return [
    { label: 'bad address', apply: (b) => { b.floating_ip_address = rng.chance(0.7) ? rng.pick(badAddresses) : wrongValue(rng, isString); } },
    { label: 'bad network id', apply: (b) => { b.floating_network_id = rng.pick<unknown>(['public', '', 123, null, 'g'.repeat(32), `${fx.floatingIp.networkId}0`, [], {}, huge(rng, 300, 3000)]); } },
    { label: 'missing field', apply: (b) => { delete b[rng.pick(['floating_ip_address', 'floating_network_id'])]; } },
    { label: 'unknown field', apply: (b) => { b[rng.pick(['subnet_id', 'id', 'reservable', 'foo'])] = rng.pick(ANY_VALUES); } },
    { label: 'address already registered', apply: (b) => { Object.assign(b, { floating_network_id: fx.floatingIp.networkId, floating_ip_address: fx.floatingIp.address }); } },
  ];
}

// ---- Assembling requests ------------------------------------------------------------------------------------

interface BodyEndpoint {
  name: string;
  method: HttpMethod;
  path: (rng: Rng) => string;
  base: () => Body;
  mutations: Mutation[];
}

/** The valid requests the mutations start from (the test sends these at the end, to show they do succeed). */
export function validBaseRequests(fx: FuzzFixtures): FuzzRequest[] {
  const json = (b: Body) => JSON.stringify(b);
  return [
    { label: 'valid lease create', method: 'post', path: '/v1/leases', body: json(leaseCreateBase()) },
    { label: 'valid lease update', method: 'put', path: `/v1/leases/${fx.leaseId}`, body: json({ name: unique('fuzz-renamed') }) },
    { label: 'valid host create', method: 'post', path: '/v1/os-hosts', body: json(hostCreateBase()) },
    { label: 'valid host update', method: 'put', path: `/v1/os-hosts/${fx.hostIds[0]}`, body: json({ colour: 'blue' }) },
    { label: 'valid property update', method: 'patch', path: `/v1/os-hosts/properties/${fx.properties[0]}`, body: json({ private: true }) },
    { label: 'valid floating IP create', method: 'post', path: '/v1/floatingips', body: json(floatingIpBase()) },
  ];
}

function bodyEndpoints(rng: Rng, fx: FuzzFixtures): BodyEndpoint[] {
  return [
    { name: 'POST /v1/leases', method: 'post', path: () => '/v1/leases', base: leaseCreateBase, mutations: leaseCreateMutations(rng, fx) },
    {
      name: 'PUT /v1/leases/{id}', method: 'put', path: () => `/v1/leases/${fx.leaseId}`,
      base: () => ({ name: unique('fuzz-renamed') }), mutations: leaseUpdateMutations(rng, fx),
    },
    { name: 'POST /v1/os-hosts', method: 'post', path: () => '/v1/os-hosts', base: hostCreateBase, mutations: hostCreateMutations(rng, fx) },
    {
      name: 'PUT /v1/os-hosts/{id}', method: 'put', path: () => `/v1/os-hosts/${rng.pick(fx.hostIds)}`,
      base: () => ({ colour: 'blue' }), mutations: hostUpdateMutations(rng),
    },
    {
      name: 'PATCH /v1/os-hosts/properties/{name}', method: 'patch', path: () => `/v1/os-hosts/properties/${rng.pick(fx.properties)}`,
      base: () => ({ private: true }), mutations: propertyMutations(rng),
    },
    { name: 'POST /v1/floatingips', method: 'post', path: () => '/v1/floatingips', base: floatingIpBase, mutations: floatingIpMutations(rng, fx) },
  ];
}

/** Requests malformed by their URL: unknown ids, a host in use, bad query strings, wrong methods. */
function urlRequest(rng: Rng, fx: FuzzFixtures): FuzzRequest {
  const badId = () => rng.pick(['nope', '00000000-0000-0000-0000-000000000000', '%20', 'x'.repeat(rng.int(37, 3000)), "'; DROP TABLE leases; --", '..', '%2F', '1 OR 1=1']);
  const badHostId = () => rng.pick(['abc', '-1', '1.0', '0x1', '999999', '0', '1e3', ' 1', fx.hostNames[0], '１', 'x'.repeat(500)]);
  const validLease = JSON.stringify({ name: unique('fuzz-lease') });
  const choices: (() => FuzzRequest)[] = [
    () => ({ label: 'GET unknown lease', method: 'get', path: `/v1/leases/${encodeURIComponent(badId())}` }),
    () => ({ label: 'PUT unknown lease', method: 'put', path: `/v1/leases/${encodeURIComponent(badId())}`, body: validLease }),
    () => ({ label: 'DELETE unknown lease', method: 'delete', path: `/v1/leases/${encodeURIComponent(badId())}` }),
    () => ({ label: 'GET bad host id', method: 'get', path: `/v1/os-hosts/${encodeURIComponent(badHostId())}` }),
    () => ({ label: 'PUT bad host id', method: 'put', path: `/v1/os-hosts/${encodeURIComponent(badHostId())}`, body: '{"colour": "red"}' }),
    () => ({ label: 'DELETE bad host id', method: 'delete', path: `/v1/os-hosts/${encodeURIComponent(badHostId())}` }),
    () => ({ label: 'GET allocation of a bad host id', method: 'get', path: `/v1/os-hosts/${encodeURIComponent(badHostId())}/allocation` }),
    () => ({ label: 'DELETE a host in use', method: 'delete', path: `/v1/os-hosts/${fx.guardedHost.id}` }),
    () => ({
      label: 'PUT breaking a reservation', method: 'put', path: `/v1/os-hosts/${fx.guardedHost.id}`,
      body: JSON.stringify({ [fx.guardedHost.key]: rng.pick([fx.guardedHost.breakingValue, null]) }),
    }),
    () => ({ label: 'PATCH unknown property', method: 'patch', path: `/v1/os-hosts/properties/${encodeURIComponent(rng.pick(['nope', 'GPU', 'x'.repeat(65), 'a b']))}`, body: '{"private": true}' }),
    () => ({ label: 'GET unknown floating IP', method: 'get', path: `/v1/floatingips/${encodeURIComponent(badId())}` }),
    () => ({ label: 'DELETE unknown floating IP', method: 'delete', path: `/v1/floatingips/${encodeURIComponent(badId())}` }),
    () => ({
      label: 'bad lease list query', method: 'get',
      path: `/v1/leases?${rng.pick([
        'limit=0', 'limit=-1', 'limit=abc', 'limit=1.5', 'limit=1e3', 'limit=', 'limit=1&limit=2', `limit=${'9'.repeat(400)}`, 'limit=%20',
        'marker=nope', `marker=${fx.reservationId}`, 'status=pending', 'status=BOGUS', 'status=', 'status=PENDING&status=ACTIVE',
        'name=a&name=b', 'project_id=a&project_id=b', 'marker=a&marker=b', 'limit=2&marker=nope',
      ])}`,
    }),
    () => ({ label: 'bad allocations query', method: 'get', path: `/v1/os-hosts/allocations?${rng.pick(['lease_id=a&lease_id=b', 'reservation_id=a&reservation_id=b'])}` }),
    () => ({ label: 'bad properties query', method: 'get', path: `/v1/os-hosts/properties?${rng.pick(['detail=a&detail=b', 'all=1&all=0'])}` }),
    () => ({
      label: 'bad capacity query', method: 'get',
      path: `/v1/os-hosts/capacity?${rng.pick([
        '', 'end=', 'start=nope&end=2030-01-01%2000:00', 'start=2030-01-02%2000:00&end=2030-01-01%2000:00', 'end=2030-01-01%2000:00&step=0',
        'end=2031-01-01%2000:00&step=1', 'end=2030-01-01%2000:00&step=-5', 'end=2030-01-01%2000:00&step=1.5h', 'end=a&end=b',
        `end=2030-01-01%2000:00&step=${'9'.repeat(400)}`, 'start=1000-01-01%2000:00&end=9999-12-31%2023:59&step=1d',
        'end=2030-01-01%2000:00&resource_properties=%5B', 'end=2030-01-01%2000:00&hypervisor_properties=%5B%22%3D%3D%22,%22%24nope%22,%221%22%5D',
      ])}`,
    }),
    () => ({
      label: 'bad usage query', method: 'get',
      path: `/v1/usage?${rng.pick([
        '', 'start=&end=', 'start=nope&end=2030-01-01%2000:00', 'start=2030-01-02%2000:00&end=2030-01-01%2000:00', 'start=a&start=b&end=c',
        'end=2030-01-01%2000:00', 'start=2030-01-01%2000:00', 'start=2030-01-01%2000:00&end=2030-01-02%2000:00&project_id=a&project_id=b',
      ])}`,
    }),
    () => ({
      label: 'wrong method', method: rng.pick(['put', 'patch', 'delete'] as const), path: rng.pick(['/v1/leases', '/v1/os-hosts', '/v1/floatingips', '/v1/os-hosts/allocations']),
      body: '{}',
    }),
    () => ({ label: 'unknown route', method: rng.pick(['get', 'post', 'put'] as const), path: rng.pick(['/v1/lease', '/v1/os-host', '/v1/leases/a/b', '/v2/leases', '/v1/floatingip']), body: '{}' }),
  ];
  return rng.pick(choices)();
}

/**
 * `count` malformed requests for the given fixtures: about four in five are bodies of the write endpoints
 * (mutated from a valid body, or not a JSON object at all), the rest malformed URLs and query strings.
 */
export function generateMalformedRequests(seed: number, fx: FuzzFixtures, count: number): FuzzRequest[] {
  const rng = new Rng(seed);
  const endpoints = bodyEndpoints(rng, fx);
  const requests: FuzzRequest[] = [];
  while (requests.length < count) {
    if (rng.chance(0.18)) {
      requests.push(urlRequest(rng, fx));
      continue;
    }
    const endpoint = rng.pick(endpoints);
    const base = endpoint.base();
    const path = endpoint.path(rng);
    if (rng.chance(0.12)) {
      const whole = badWholeBody(rng, base);
      requests.push({ label: `${endpoint.name}: ${whole.label}`, method: endpoint.method, path, body: whole.body, contentType: whole.contentType });
      continue;
    }
    const { label, body } = applyMutations(rng, base, endpoint.mutations);
    const contentType = rng.pick(['application/json', 'application/json', 'application/json; charset=utf-8', 'text/plain', undefined]);
    requests.push({ label: `${endpoint.name}: ${label}`, method: endpoint.method, path, body: JSON.stringify(body), contentType });
  }
  return requests;
}

/** The whole-body and huge-body cases every endpoint gets at least once, whatever the seed. */
export function systematicMalformedRequests(fx: FuzzFixtures): FuzzRequest[] {
  const rng = new Rng(1);
  const out: FuzzRequest[] = [];
  for (const endpoint of bodyEndpoints(rng, fx)) {
    const path = endpoint.path(rng);
    for (const body of ['', 'not json', '[]', 'null', '"text"', '{"a":', deepText(rng, 5000), withRawField(endpoint.base(), 'nested', deepText(rng, 101))]) {
      // An empty body reads as {}, which is a valid (no-op) PUT; only POST and PATCH get it.
      if (body === '' && endpoint.method === 'put') continue;
      out.push({ label: `${endpoint.name}: body ${JSON.stringify(body.slice(0, 20))}`, method: endpoint.method, path, body, contentType: 'application/json' });
    }
    out.push({
      label: `${endpoint.name}: body over 1 MiB`, method: endpoint.method, path, contentType: 'application/json',
      body: JSON.stringify({ ...endpoint.base(), padding: 'p'.repeat(1024 * 1024) }),
    });
    // Every mutation of the endpoint once, alone.
    for (const mutation of endpoint.mutations) {
      const body = endpoint.base();
      mutation.apply(body);
      out.push({ label: `${endpoint.name}: ${mutation.label}`, method: endpoint.method, path, body: JSON.stringify(body), contentType: 'application/json' });
    }
  }
  return out;
}
