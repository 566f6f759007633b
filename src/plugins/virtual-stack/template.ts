import { parse as parseYaml } from 'yaml';
import { InvalidInput } from '../../common';

type Json = Record<string, unknown>;

/** What one server of the stack needs: the size of a virtual:instance slot. */
export interface ServerSize {
  vcpus: number;
  memory_mb: number;
  disk_gb: number;
}

/** Looks a flavor up by id or name (Nova); null when there is no such flavor. */
export type FlavorLookup = (idOrName: string) => Promise<ServerSize | null>;

/**
 * The servers a template makes: how many in all, which flavors they name (with the resources naming each), and
 * the servers whose flavor cannot be known before the stack exists (why, for the message when no explicit
 * size is given).
 */
export interface ServerDemand {
  servers: number;
  flavors: Map<string, string[]>;
  unsized: string[];
}

/** Largest template Climate takes, as Heat's default `max_template_size`. */
export const MAX_TEMPLATE_BYTES = 524_288;

/** Larger counts are not a number of instances Nova could hold (its counters are 32-bit). */
const MAX_SERVERS = 2_147_483_647;

/** Types whose servers Climate cannot count: refused with a 400 rather than reserved wrongly. */
const UNSIZABLE_TYPES = new Set([
  'AWS::EC2::Instance', 'AWS::AutoScaling::AutoScalingGroup', 'OS::Heat::InstanceGroup', 'OS::Heat::ResourceChain',
  'OS::Heat::Stack', 'OS::Senlin::Cluster', 'OS::Senlin::Node',
]);

/** Template parameters Climate sets at start (when the template declares them). */
export const RESERVATION_FLAVOR_PARAM = 'reservation_flavor';
export const RESERVATION_ID_PARAM = 'reservation_id';
export const RESERVATION_GROUP_PARAM = 'reservation_server_group';
export const INJECTED_PARAMS = [RESERVATION_FLAVOR_PARAM, RESERVATION_ID_PARAM, RESERVATION_GROUP_PARAM] as const;

const isMap = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A value a template cannot be sized by; becomes the 400 that names the resource. */
class Unresolvable extends Error {}

/** YAML or JSON text, or an object, as a mapping. Throws InvalidInput naming the field. */
function mapping(value: unknown, field: string): Json {
  let parsed = value;
  if (typeof value === 'string') {
    if (Buffer.byteLength(value) > MAX_TEMPLATE_BYTES) {
      throw new InvalidInput(`Invalid input for field/attribute ${field}: larger than ${MAX_TEMPLATE_BYTES} bytes`);
    }
    try {
      parsed = parseYaml(value, { maxAliasCount: 100 });
    } catch (error) {
      throw new InvalidInput(`Invalid input for field/attribute ${field}: not valid YAML or JSON (${(error as Error).message.split('\n')[0]})`);
    }
  } else if (isMap(value) && Buffer.byteLength(JSON.stringify(value)) > MAX_TEMPLATE_BYTES) {
    throw new InvalidInput(`Invalid input for field/attribute ${field}: larger than ${MAX_TEMPLATE_BYTES} bytes`);
  }
  if (!isMap(parsed)) throw new InvalidInput(`Invalid input for field/attribute ${field}: must be a mapping (YAML or JSON object)`);
  return parsed;
}

/**
 * A HOT template given as YAML or JSON text or as an object: a mapping with `heat_template_version` and, if
 * present, `resources` and `parameters` as mappings. Throws InvalidInput saying what is wrong.
 */
export function parseTemplate(value: unknown): Json {
  if (value === undefined || value === null || value === '') throw new InvalidInput('Missing parameter template');
  if (typeof value !== 'string' && !isMap(value)) {
    throw new InvalidInput('Invalid input for field/attribute template: must be a HOT template (YAML or JSON text, or an object)');
  }
  const t = mapping(value, 'template');
  if (t.heat_template_version === undefined || t.heat_template_version === null) {
    throw new InvalidInput('Invalid input for field/attribute template: not a HOT template (no heat_template_version)');
  }
  for (const section of ['resources', 'parameters'] as const) {
    if (t[section] !== undefined && t[section] !== null && !isMap(t[section])) {
      throw new InvalidInput(`Invalid input for field/attribute template: "${section}" must be a mapping`);
    }
  }
  return t;
}

/** A Heat environment given as YAML or JSON text or as an object; null when not given. */
export function parseEnvironment(value: unknown): Json | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string' && !isMap(value)) {
    throw new InvalidInput('Invalid input for field/attribute environment: must be a Heat environment (YAML or JSON text, or an object)');
  }
  const env = mapping(value, 'environment');
  for (const section of ['parameters', 'parameter_defaults', 'resource_registry'] as const) {
    if (env[section] !== undefined && env[section] !== null && !isMap(env[section])) {
      throw new InvalidInput(`Invalid input for field/attribute environment: "${section}" must be a mapping`);
    }
  }
  return env;
}

/** The template's declared parameters (name -> declaration). */
export function declaredParameters(template: Json): Json {
  return isMap(template.parameters) ? template.parameters : {};
}

/**
 * Checks the stack's parameters against the template as Heat will at start, so that the mistakes surface as a
 * 400 now rather than as a failed lease: every given parameter is declared, and every declared parameter has a
 * value (given, from the environment, or a default), except those Climate sets itself.
 */
export function checkParameters(template: Json, parameters: Json, environment: Json | null): void {
  const declared = declaredParameters(template);
  for (const name of Object.keys(parameters)) {
    if (!Object.hasOwn(declared, name)) {
      throw new InvalidInput(`Invalid input for field/attribute parameters: "${name}" is not a parameter of the template`);
    }
  }
  const values = parameterValues(template, parameters, environment);
  for (const name of Object.keys(declared)) {
    if ((INJECTED_PARAMS as readonly string[]).includes(name)) continue;
    if (!Object.hasOwn(values, name)) {
      throw new InvalidInput(`Invalid input for field/attribute parameters: the template's parameter "${name}" has no default; give its value in parameters`);
    }
  }
}

/**
 * Parameter values as Heat would see them: the template's defaults, overridden by the environment's
 * `parameter_defaults`, then its `parameters`, then the request's `parameters`.
 */
function parameterValues(template: Json, parameters: Json, environment: Json | null): Json {
  const values: Json = {};
  for (const [name, decl] of Object.entries(declaredParameters(template))) {
    if (isMap(decl) && decl.default !== undefined && decl.default !== null) values[name] = decl.default;
  }
  const fromEnv = (section: string) => (environment && isMap(environment[section]) ? (environment[section] as Json) : {});
  return { ...values, ...fromEnv('parameter_defaults'), ...fromEnv('parameters'), ...parameters };
}

interface Scope {
  declared: Json;
  values: Json;
  registry: Json;
}

/** `{get_param: name}` / `{get_param: [name, key, ...]}` resolved; anything else intrinsic is unresolvable. */
function resolve(value: unknown, scope: Scope): unknown {
  if (!isMap(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] === 'get_param') {
    const arg = value.get_param;
    const path = Array.isArray(arg) ? arg : [arg];
    const [name, ...rest] = path;
    if (typeof name !== 'string') throw new Unresolvable(`get_param ${JSON.stringify(arg)} does not name a parameter`);
    if (!Object.hasOwn(scope.declared, name)) throw new Unresolvable(`parameter "${name}" is not declared in the template`);
    if (!Object.hasOwn(scope.values, name)) throw new Unresolvable(`parameter "${name}" has no value (give it in parameters)`);
    let current: unknown = scope.values[name];
    for (const key of rest) {
      if (typeof current === 'string' && typeof key === 'number') current = current.split(',')[key];
      else if (Array.isArray(current) && typeof key === 'number') current = current[key];
      else if (isMap(current) && typeof key === 'string' && Object.hasOwn(current, key)) current = current[key];
      else throw new Unresolvable(`get_param ${JSON.stringify(arg)} does not resolve`);
    }
    return current;
  }
  if (keys.length === 1 && (keys[0].startsWith('get_') || INTRINSICS.has(keys[0]))) {
    throw new Unresolvable(`${keys[0]} cannot be resolved before the stack exists`);
  }
  return value;
}

const INTRINSICS = new Set([
  'get_attr', 'get_file', 'get_resource', 'str_replace', 'str_replace_strict', 'str_replace_vstrict', 'list_join', 'list_concat',
  'list_concat_unique', 'map_merge', 'map_replace', 'repeat', 'resource_facade', 'str_split', 'yaql', 'if', 'contains', 'equals',
  'not', 'and', 'or', 'filter', 'make_url', 'digest',
]);

function count(value: unknown, scope: Scope, what: string, fallback?: number): number {
  if (value === undefined || value === null) {
    if (fallback !== undefined) return fallback;
    throw new Unresolvable(`${what} is missing`);
  }
  const v = resolve(value, scope);
  const n = typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new Unresolvable(`${what} is ${JSON.stringify(v)}, not a whole number`);
  return n;
}

/** Follows the environment's resource_registry from a type to what it maps to (exact names only). */
function resolveType(type: string, scope: Scope): string {
  let current = type;
  for (let i = 0; i < 10; i++) {
    const mapped = scope.registry[current];
    if (typeof mapped !== 'string' || mapped === current) return current;
    current = mapped;
  }
  return current;
}

/** Whether a type is a nested template (a file or URL) rather than a resource plugin name. */
const isTemplateFile = (type: string) => !type.includes('::') || /\.(ya?ml|json|template)$/i.test(type) || type.includes('/');

type Counted = ServerDemand;

function add(into: Counted, from: Counted, times: number): void {
  into.servers += from.servers * times;
  if (into.servers > MAX_SERVERS) throw new Unresolvable(`more than ${MAX_SERVERS} servers in all`);
  if (times === 0) return;
  for (const [flavor, names] of from.flavors) into.flavors.set(flavor, [...(into.flavors.get(flavor) ?? []), ...names]);
  into.unsized.push(...from.unsized);
}

/** The servers one resource definition makes. `where` names it in messages. */
function countResource(where: string, definition: unknown, scope: Scope, depth: number): Counted {
  if (!isMap(definition)) throw new Unresolvable(`${where} is not a mapping`);
  const rawType = definition.type;
  if (typeof rawType !== 'string' || !rawType) throw new Unresolvable(`${where} has no type`);
  const type = resolveType(rawType, scope);
  const shown = type === rawType ? type : `${rawType}, mapped to ${type} by the environment`;
  const fail = (why: string): never => { throw new InvalidInput(cannotSize(where, shown, why)); };
  const props = definition.properties === undefined || definition.properties === null ? {} : definition.properties;
  if (!isMap(props)) fail('its properties are not a mapping');
  const properties = props as Json;
  const out: Counted = { servers: 0, flavors: new Map(), unsized: [] };
  if (depth > 10) fail('groups are nested more than 10 deep');
  try {
    if (type === 'OS::Nova::Server') {
      out.servers = 1;
      try {
        const flavor = resolve(properties.flavor, scope);
        if (flavor === undefined || flavor === null || flavor === '') throw new Unresolvable('it has no flavor');
        if (typeof flavor !== 'string' && typeof flavor !== 'number') throw new Unresolvable(`its flavor ${JSON.stringify(flavor)} is not a flavor name or id`);
        out.flavors.set(String(flavor), [where]);
      } catch (error) {
        // Counted all the same: an explicit size makes the flavor unnecessary.
        if (!(error instanceof Unresolvable)) throw error;
        out.unsized.push(cannotSize(where, shown, error.message));
      }
    } else if (type === 'OS::Heat::ResourceGroup') {
      const n = count(properties.count, scope, 'its count', 1);
      add(out, countResource(`${where} (its resource_def)`, properties.resource_def, scope, depth + 1), n);
    } else if (type === 'OS::Heat::AutoScalingGroup') {
      const n = count(properties.max_size, scope, 'its max_size');
      add(out, countResource(`${where} (its resource)`, properties.resource, scope, depth + 1), n);
    } else if (UNSIZABLE_TYPES.has(type)) {
      throw new Unresolvable('Climate cannot count the servers of this type; use OS::Nova::Server, OS::Heat::ResourceGroup or OS::Heat::AutoScalingGroup');
    } else if (isTemplateFile(type)) {
      throw new Unresolvable('it is a nested template, whose servers Climate cannot count; use OS::Nova::Server resources in the template itself');
    }
  } catch (error) {
    if (error instanceof Unresolvable) fail(error.message);
    throw error;
  }
  return out;
}

function cannotSize(where: string, type: string, why: string): string {
  return `Cannot work out the capacity the template needs: ${where} (${type}): ${why}`;
}

/**
 * Counts the servers the template makes: one per OS::Nova::Server, `count` (default 1) times its
 * resource_def for an OS::Heat::ResourceGroup, `max_size` times its resource for an OS::Heat::AutoScalingGroup
 * (groups may nest). `get_param` is resolved from the parameters, the environment and the defaults; types
 * the environment's resource_registry maps are followed. Other resources make no servers. Throws
 * InvalidInput naming the resource when a count or a flavor cannot be known before the stack exists, or a
 * resource is of a type whose servers cannot be counted (nested templates, AWS::EC2::Instance, ...).
 */
export function countServers(template: Json, parameters: Json, environment: Json | null): ServerDemand {
  const registry = environment && isMap(environment.resource_registry) ? (environment.resource_registry as Json) : {};
  const scope: Scope = { declared: declaredParameters(template), values: parameterValues(template, parameters, environment), registry };
  const total: Counted = { servers: 0, flavors: new Map(), unsized: [] };
  const resources = isMap(template.resources) ? template.resources : {};
  for (const [name, definition] of Object.entries(resources)) {
    try {
      add(total, countResource(`resource "${name}"`, definition, scope, 0), 1);
    } catch (error) {
      if (error instanceof Unresolvable) throw new InvalidInput(`Cannot work out the capacity the template needs: ${error.message}`);
      throw error;
    }
  }
  return total;
}

/**
 * The size of every server slot: the explicit size when given, else the largest of the template's flavors in
 * each dimension (so that a slot holds any server of the stack). Throws InvalidInput when a flavor is
 * unknown, or flavors cannot be looked up (no compute service) and no explicit size was given.
 */
export async function sizeServers(demand: ServerDemand, explicit: ServerSize | null, lookup: FlavorLookup | null): Promise<ServerSize> {
  if (explicit) return explicit;
  if (demand.unsized.length) {
    throw new InvalidInput(`${demand.unsized[0]}; give it a flavor Climate can look up (a name, an id, or a parameter whose value or `
      + `default is one), or give vcpus, memory_mb and disk_gb`);
  }
  const size: ServerSize = { vcpus: 0, memory_mb: 0, disk_gb: 0 };
  for (const [flavor, users] of demand.flavors) {
    if (!lookup) {
      throw new InvalidInput(`Cannot work out the size of the servers: flavor "${flavor}" of ${users[0]} cannot be looked up `
        + 'without a compute service; give vcpus, memory_mb and disk_gb');
    }
    const found = await lookup(flavor);
    if (!found) throw new InvalidInput(`Cannot work out the capacity the template needs: ${users[0]}: flavor "${flavor}" is not a flavor Nova knows`);
    size.vcpus = Math.max(size.vcpus, found.vcpus);
    size.memory_mb = Math.max(size.memory_mb, found.memory_mb);
    size.disk_gb = Math.max(size.disk_gb, found.disk_gb);
  }
  return size;
}
