/**
 * Structural checks of src/api/openapi.yaml as an OpenAPI 3.1 document, written out here rather than delegated
 * to a linter so that each rule the project relies on is explicit: references resolve, operations are complete,
 * path templates and parameters agree, and the error responses clients depend on are documented.
 */
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { createValidator, loadOpenApiDocument, type OpenApiDocument } from '../../../src/api/validation';

type Json = Record<string, unknown>;

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const PATH_ITEM_KEYS = new Set([...METHODS, '$ref', 'summary', 'description', 'servers', 'parameters']);

const doc: OpenApiDocument = loadOpenApiDocument(path.resolve(__dirname, '../../../src/api/openapi.yaml'));

function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON-pointer lookup of a local reference; undefined when it dangles. */
function lookup(ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = doc;
  for (const part of ref.slice(2).split('/')) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObj(node) || !(key in node)) return undefined;
    node = node[key];
  }
  return node;
}

/** Follows `$ref`s to the referenced object. */
function follow(v: unknown): Json {
  let node = v;
  while (isObj(node) && typeof node.$ref === 'string') node = lookup(node.$ref);
  if (!isObj(node)) throw new Error('dangling reference');
  return node;
}

/** Every `$ref` value in the document with the JSON path where it occurs. */
function collectRefs(node: unknown, at: string, out: Array<[string, string]>): Array<[string, string]> {
  if (Array.isArray(node)) node.forEach((child, i) => collectRefs(child, `${at}/${i}`, out));
  else if (isObj(node)) {
    for (const [key, child] of Object.entries(node)) {
      if (key === '$ref' && typeof child === 'string') out.push([at, child]);
      else collectRefs(child, `${at}/${key}`, out);
    }
  }
  return out;
}

interface Op {
  id: string;
  method: string;
  route: string;
  op: Json;
  params: Json[];
}

function operations(): Op[] {
  const out: Op[] = [];
  for (const [route, item] of Object.entries(doc.paths)) {
    const shared = ((item.parameters as unknown[]) ?? []).map(follow);
    for (const method of METHODS) {
      const op = item[method];
      if (!isObj(op)) continue;
      const own = ((op.parameters as unknown[]) ?? []).map(follow);
      out.push({ id: String(op.operationId), method, route, op, params: [...shared, ...own] });
    }
  }
  return out;
}

const ops = operations();
const schemas = (doc.components as Json).schemas as Json;

/** The component schemas under one `$id`, references rewritten to point there. */
const COMPONENTS = 'urn:test:components';
function componentsAjv(): Ajv2020 {
  // strictSchema: misspelt keywords fail; strictTypes off because `type: [x, 'null']` is normal 3.1.
  const ajv = new Ajv2020({ strict: true, strictTypes: false, strictRequired: false, allowUnionTypes: true });
  ajv.addVocabulary(['x-error-message']);
  ajv.addFormat('ip-address', /^[0-9a-fA-F.:]+$/);
  const text = JSON.stringify(schemas).replace(/#\/components\/schemas\//g, `${COMPONENTS}#/$defs/`);
  ajv.addSchema({ $id: COMPONENTS, $defs: JSON.parse(text) as Json });
  return ajv;
}
const v1Ops = ops.filter((o) => o.route.startsWith('/v1/'));

describe('openapi.yaml structure', () => {
  it('is an OpenAPI 3.1 document with info and paths', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    const info = doc.info as Json;
    expect(typeof info.title).toBe('string');
    expect(typeof info.version).toBe('string');
    expect(Object.keys(doc.paths).length).toBeGreaterThan(0);
  });

  it('resolves every $ref', () => {
    const refs = collectRefs(doc, '#', []);
    expect(refs.length).toBeGreaterThan(100);
    const dangling = refs.filter(([, ref]) => lookup(ref) === undefined);
    expect(dangling).toEqual([]);
  });

  it('has path items holding only OpenAPI keys, under paths starting with /', () => {
    for (const [route, item] of Object.entries(doc.paths)) {
      expect(route.startsWith('/')).toBe(true);
      expect(Object.keys(item).filter((k) => !PATH_ITEM_KEYS.has(k))).toEqual([]);
    }
  });

  it('gives every operation a unique operationId, a summary, declared tags and responses', () => {
    const declaredTags = new Set(((doc.tags as Json[]) ?? []).map((t) => t.name));
    const seen = new Set<string>();
    for (const { id, op, method, route } of ops) {
      const where = `${method.toUpperCase()} ${route}`;
      expect([where, typeof op.operationId]).toEqual([where, 'string']);
      expect([where, seen.has(id)]).toEqual([where, false]);
      seen.add(id);
      expect([where, typeof op.summary === 'string' && op.summary.length > 0]).toEqual([where, true]);
      const tags = op.tags as string[];
      expect([where, Array.isArray(tags) && tags.length > 0 && tags.every((t) => declaredTags.has(t))]).toEqual([where, true]);
      expect([where, isObj(op.responses) && Object.keys(op.responses).length > 0]).toEqual([where, true]);
    }
  });

  it('uses valid status codes, describes every response and has a success response per operation', () => {
    for (const { op, method, route } of ops) {
      const where = `${method.toUpperCase()} ${route}`;
      const codes = Object.keys(op.responses as Json);
      expect([where, codes.filter((c) => !/^([1-5](\d\d|XX)|default)$/.test(c))]).toEqual([where, []]);
      expect([where, codes.some((c) => /^[23]/.test(c))]).toEqual([where, true]);
      for (const code of codes) {
        const response = follow((op.responses as Json)[code]);
        expect([where, code, typeof response.description]).toEqual([where, code, 'string']);
      }
    }
  });

  it('declares every path template parameter as a required path parameter, and no others', () => {
    for (const { route, params, method } of ops) {
      const where = `${method.toUpperCase()} ${route}`;
      const templated = [...route.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      const declared = params.filter((p) => p.in === 'path');
      expect([where, declared.map((p) => p.name).sort()]).toEqual([where, templated]);
      expect([where, declared.every((p) => p.required === true)]).toEqual([where, true]);
    }
  });

  it('gives every parameter a name, a valid location and a schema', () => {
    for (const { params, id } of ops) {
      for (const p of params) {
        expect([id, typeof p.name, ['query', 'header', 'path', 'cookie'].includes(String(p.in)), isObj(p.schema)]).toEqual([
          id,
          'string',
          true,
          true,
        ]);
      }
    }
  });

  it('gives every request body a JSON schema', () => {
    for (const { op, id } of ops.filter((o) => o.op.requestBody !== undefined)) {
      const body = follow(op.requestBody);
      const media = (body.content as Json)?.['application/json'] as Json | undefined;
      expect([id, isObj(media?.schema)]).toEqual([id, true]);
    }
  });

  it('names only declared security schemes', () => {
    const schemes = Object.keys(((doc.components as Json).securitySchemes as Json) ?? {});
    const requirements = [...((doc.security as Json[]) ?? []), ...ops.flatMap((o) => (o.op.security as Json[]) ?? [])];
    for (const requirement of requirements) {
      for (const name of Object.keys(requirement)) expect(schemes).toContain(name);
    }
  });

  it('compiles every component schema under Ajv strict mode', () => {
    const ajv = componentsAjv();
    for (const name of Object.keys(schemas)) {
      expect([name, typeof ajv.getSchema(`${COMPONENTS}#/$defs/${name}`)]).toEqual([name, 'function']);
    }
    // The validator compiles the request side with its own configuration; it must accept the document too.
    expect(createValidator(doc).operation('createLease')?.hasBody).toBe(true);
  });
});

describe('openapi.yaml contract', () => {
  it('has the agreed operationIds', () => {
    expect(ops.map((o) => `${o.method.toUpperCase()} ${o.route} ${o.id}`)).toEqual([
      'GET / listVersionsRoot',
      'GET /versions listVersions',
      'GET /v1 showVersionV1',
      'GET /v1/leases listLeases',
      'POST /v1/leases createLease',
      'POST /v1/leases/availability findLeaseSlots',
      'GET /v1/leases/{lease_id} showLease',
      'PUT /v1/leases/{lease_id} updateLease',
      'DELETE /v1/leases/{lease_id} deleteLease',
      'GET /v1/os-hosts listHosts',
      'POST /v1/os-hosts createHost',
      'GET /v1/os-hosts/allocations listHostAllocations',
      'GET /v1/os-hosts/capacity showHostCapacity',
      'GET /v1/os-hosts/calendar showHostCalendar',
      'GET /v1/os-hosts/properties listHostProperties',
      'PATCH /v1/os-hosts/properties/{property_name} updateHostProperty',
      'GET /v1/os-hosts/{host_id} showHost',
      'PUT /v1/os-hosts/{host_id} updateHost',
      'DELETE /v1/os-hosts/{host_id} deleteHost',
      'GET /v1/os-hosts/{host_id}/allocation showHostAllocation',
      'GET /v1/usage showUsage',
      'GET /v1/quotas listQuotas',
      'GET /v1/quotas/{project_id} showQuota',
      'PUT /v1/quotas/{project_id} updateQuota',
      'DELETE /v1/quotas/{project_id} deleteQuota',
      'PATCH /v1/quotas/{project_id} patchQuota',
      'GET /v1/floatingips listFloatingIPs',
      'POST /v1/floatingips createFloatingIP',
      'GET /v1/floatingips/{floatingip_id} showFloatingIP',
      'DELETE /v1/floatingips/{floatingip_id} deleteFloatingIP',
      'GET /v1/volume-pools listVolumePools',
      'POST /v1/volume-pools createVolumePool',
      'GET /v1/volume-pools/{pool_id} showVolumePool',
      'PUT /v1/volume-pools/{pool_id} updateVolumePool',
      'DELETE /v1/volume-pools/{pool_id} deleteVolumePool',
    ]);
  });

  it('serves version discovery without authentication and with 300', () => {
    for (const id of ['listVersionsRoot', 'listVersions']) {
      const { op } = ops.find((o) => o.id === id)!;
      expect(op.security).toEqual([]);
      expect(Object.keys(op.responses as Json)).toEqual(['300']);
    }
  });

  it('documents the error responses every v1 operation can give', () => {
    for (const { id, op, params } of v1Ops) {
      const codes = Object.keys(op.responses as Json);
      const expected = ['400', '401', '403', '406'];
      if (op.requestBody !== undefined) expected.push('413');
      if (params.some((p) => p.in === 'path')) expected.push('404');
      expect([id, expected.filter((c) => !codes.includes(c))]).toEqual([id, []]);
      expect([id, params.some((p) => p.in === 'header' && p.name === 'OpenStack-API-Version')]).toEqual([id, true]);
    }
  });

  it('uses Blazar status codes: 201 for creation, 204 for deletion, 200 otherwise', () => {
    // POSTs that create nothing (questions with a body, Climate extensions) answer 200.
    const questions = new Set(['findLeaseSlots']);
    for (const { id, method, op } of v1Ops) {
      const success = Object.keys(op.responses as Json).filter((c) => c.startsWith('2'));
      const expected = method === 'post' && !questions.has(id) ? '201' : method === 'delete' ? '204' : '200';
      expect([id, success]).toEqual([id, [expected]]);
    }
  });

  it('declares the request id header on every response and the error body on every error', () => {
    for (const { id, op } of ops) {
      for (const [code, raw] of Object.entries(op.responses as Json)) {
        const response = follow(raw);
        expect([id, code, isObj((response.headers as Json)?.['x-openstack-request-id'])]).toEqual([id, code, true]);
        if (code.startsWith('4')) {
          const schema = ((response.content as Json)['application/json'] as Json).schema as Json;
          expect([id, code, schema.$ref]).toEqual([id, code, '#/components/schemas/Error']);
        }
      }
    }
  });

  it('documents X-Auth-Token as the security scheme', () => {
    const schemes = (doc.components as Json).securitySchemes as Json;
    expect(schemes.keystone).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-Auth-Token' });
    expect(doc.security).toEqual([{ keystone: [] }]);
  });
});

describe('openapi.yaml response schemas', () => {
  const ajv = componentsAjv();
  const check = (name: string, value: unknown): boolean => ajv.validate(`${COMPONENTS}#/$defs/${name}`, value);

  const lease = {
    id: '6f2f5b56-9a43-4c57-a0e5-6f3c2c3f6a8e',
    name: 'l1',
    start_date: '2030-01-01T12:00:00.000000',
    end_date: '2030-01-02T12:00:00.000000',
    before_end_date: null,
    before_start_date: null,
    status: 'PENDING',
    status_reason: null,
    degraded: false,
    user_id: 'u',
    project_id: 'p',
    trust_id: null,
    created_at: '2029-12-31 10:00:00',
    updated_at: null,
    reservations: [
      {
        id: 'r1',
        lease_id: '6f2f5b56-9a43-4c57-a0e5-6f3c2c3f6a8e',
        status: 'pending',
        missing_resources: false,
        resources_changed: false,
        resource_id: 'h1',
        resource_type: 'physical:host',
        created_at: '2029-12-31 10:00:00',
        updated_at: null,
        min: 1,
        max: 2,
        hypervisor_properties: '',
        resource_properties: '',
        before_end: 'default',
      },
    ],
    events: [
      {
        id: 'e1',
        lease_id: '6f2f5b56-9a43-4c57-a0e5-6f3c2c3f6a8e',
        event_type: 'start_lease',
        time: '2030-01-01T12:00:00.000000',
        status: 'UNDONE',
        created_at: '2029-12-31 10:00:00',
        updated_at: null,
      },
    ],
  };

  it('accepts a lease rendered the way the CLI parses it', () => {
    expect(check('LeaseEnvelope', { lease })).toBe(true);
    expect(check('LeaseList', { leases: [lease], leases_links: [{ rel: 'next', href: 'http://x/v1/leases?limit=1&marker=a' }] })).toBe(true);
  });

  it('rejects lease dates without microseconds and timestamps in ISO form', () => {
    expect(check('Lease', { ...lease, start_date: '2030-01-01T12:00:00' })).toBe(false);
    expect(check('Lease', { ...lease, created_at: '2029-12-31T10:00:00' })).toBe(false);
  });

  it('accepts a host with extra capabilities as strings only', () => {
    const host = {
      id: '1',
      hypervisor_hostname: 'compute-1',
      hypervisor_type: 'QEMU',
      hypervisor_version: 2011000,
      vcpus: 4,
      cpu_info: '{"arch": "x86_64"}',
      memory_mb: 8192,
      local_gb: 100,
      service_name: 'compute-1',
      availability_zone: 'nova',
      status: null,
      reservable: true,
      trust_id: null,
      extra_capability: { gpu: 'True' },
      created_at: '2029-12-31 10:00:00',
      updated_at: null,
      gpu: 'True',
    };
    expect(check('Host', host)).toBe(true);
    expect(check('Host', { ...host, gpu: true })).toBe(false);
    expect(check('Host', { ...host, id: 'compute-1' })).toBe(false);
    expect(check('Host', { ...host, extra_capability: { gpu: true } })).toBe(false);
    const { extra_capability: _map, ...withoutMap } = host;
    expect(_map).toEqual({ gpu: 'True' });
    expect(check('Host', withoutMap)).toBe(false);
  });

  it('accepts the versions document the legacy CLI expects', () => {
    const version = {
      id: 'v1.0',
      status: 'CURRENT',
      links: [{ rel: 'self', href: 'http://127.0.0.1:1234/v1' }],
      min_version: '1.0',
      max_version: '1.0',
    };
    expect(check('VersionsDocument', { versions: [version] })).toBe(true);
    expect(check('VersionDocument', { version })).toBe(true);
  });

  it('accepts Blazar error bodies', () => {
    expect(check('Error', { error_code: 404, error_message: 'not found', error_name: 404 })).toBe(true);
  });

  it('accepts allocations and properties', () => {
    const allocation = {
      resource_id: '1',
      reservations: [{ id: 'r1', lease_id: 'l1', start_date: '2030-01-01T12:00:00.000000', end_date: '2030-01-02T12:00:00.000000' }],
    };
    expect(check('AllocationList', { allocations: [allocation] })).toBe(true);
    expect(check('AllocationEnvelope', { allocation })).toBe(true);
    expect(check('ResourcePropertyList', { resource_properties: [{ property: 'gpu' }] })).toBe(true);
    expect(check('ResourcePropertyEnvelope', { resource_property: { property: 'gpu', private: true, values: ['True'] } })).toBe(true);
  });
});
