import { InvalidInput, InvalidState } from '../../common';
import { LIFECYCLE_FIELDS, parseLifecycleActions, updateLifecycleActions, type LifecycleActions } from '../lifecycle-actions';
import { parseAffinity, type Affinity } from '../virtual-instance';
import { parseFilter } from '../filter';
import {
  checkParameters, countServers, parseEnvironment, parseTemplate, sizeServers, type FlavorLookup, type ServerSize,
} from './template';

/**
 * Stored parameters of a virtual:stack reservation: what the user gave (template, parameters, environment,
 * stack name, optional size, affinity and host filter), the capacity worked out from them (`amount` servers of
 * `vcpus`/`memory_mb`/`disk_gb`, the fields the virtual:instance slot machinery reads), and what the start made
 * (the reservation's flavor, group and aggregate, and the stack).
 */
export interface StackReservationParams extends LifecycleActions {
  [key: string]: unknown;
  /** HOT as given: YAML or JSON text, or an object. Sent to Heat unchanged. */
  template: string | Record<string, unknown>;
  parameters: Record<string, unknown>;
  /** Heat environment (parsed when given as text); null for none. */
  environment: Record<string, unknown> | null;
  stack_name: string;
  /** Servers the template makes (instance slots held). */
  amount: number;
  vcpus: number;
  memory_mb: number;
  disk_gb: number;
  /** `flavor`: the size is the largest of the template's flavors; `explicit`: vcpus, memory_mb and disk_gb were given. */
  sizing: 'flavor' | 'explicit';
  affinity: Affinity;
  resource_properties: string;
  /** Set when the lease starts with the nova compute driver (as for virtual:instance). */
  flavor_id: string | null;
  server_group_id: string | null;
  aggregate_id: number | null;
  /** The Heat stack: set once the start has created it. */
  stack_id: string | null;
  stack_status: string | null;
  stack_status_reason: string | null;
}

const SIZE_FIELDS = ['vcpus', 'memory_mb', 'disk_gb'] as const;
const INPUT = new Set<string>([
  'template', 'parameters', 'environment', 'stack_name', ...SIZE_FIELDS, 'affinity', 'resource_properties', ...LIFECYCLE_FIELDS,
]);
/** Shown by the API and sent back by some clients with a PUT; never taken from a request. */
const OUTPUT_ONLY = new Set([
  'amount', 'sizing', 'flavor_id', 'server_group_id', 'aggregate_id', 'stack_id', 'stack_status', 'stack_status_reason',
]);
/** What the stack is made of: fixed once the lease has started (the stack exists). */
const STACK_FIELDS = ['template', 'parameters', 'environment', 'stack_name', ...SIZE_FIELDS, 'affinity', 'resource_properties'] as const;
const MAX_SIZE = 2_147_483_647;
/** Heat's rule for stack names. */
const STACK_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,254}$/;

function checkKnown(raw: Record<string, unknown>, allowOutput: boolean): void {
  for (const key of Object.keys(raw)) {
    if (INPUT.has(key) || (allowOutput && OUTPUT_ONLY.has(key))) continue;
    const hint = key === 'amount' ? ' (the number of servers is worked out from the template)' : '';
    throw new InvalidInput(`Invalid input for field/attribute ${key}: not a parameter of virtual:stack reservations${hint}`);
  }
}

function stackName(value: unknown): string {
  if (value === undefined || value === null || value === '') throw new InvalidInput('Missing parameter stack_name');
  if (typeof value !== 'string' || !STACK_NAME.test(value)) {
    throw new InvalidInput(`Invalid input for field/attribute stack_name. Value: ${JSON.stringify(value)}. Must start with a letter and `
      + 'hold only letters, digits, "_", "." and "-" (at most 255 characters), as Heat requires');
  }
  return value;
}

function parametersOf(value: unknown): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidInput(`Invalid input for field/attribute parameters. Value: ${JSON.stringify(value)}. Must be an object of template parameter values`);
  }
  return { ...(value as Record<string, unknown>) };
}

function integer(value: unknown, field: string): number {
  const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_SIZE) {
    throw new InvalidInput(`Invalid input for field/attribute ${field}. Value: ${JSON.stringify(value)}. Must be an integer from 0 to ${MAX_SIZE}`);
  }
  return n;
}

/** All three sizes, or none (null); some but not all is a 400. */
function explicitSize(raw: Record<string, unknown>): ServerSize | null {
  const given = SIZE_FIELDS.filter((f) => raw[f] !== undefined && raw[f] !== null);
  if (!given.length) return null;
  if (given.length < SIZE_FIELDS.length) {
    throw new InvalidInput(`Give all of vcpus, memory_mb and disk_gb, or none of them (the template's flavors then size the servers); `
      + `missing: ${SIZE_FIELDS.filter((f) => !given.includes(f)).join(', ')}`);
  }
  return { vcpus: integer(raw.vcpus, 'vcpus'), memory_mb: integer(raw.memory_mb, 'memory_mb'), disk_gb: integer(raw.disk_gb, 'disk_gb') };
}

function filterText(value: unknown): string {
  if (value === undefined || value === null || value === '') return '';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  parseFilter(text, 'resource_properties');
  return text;
}

/** The capacity the stack needs: servers counted in the template, sized explicitly or by its flavors. */
async function capacity(p: Pick<StackReservationParams, 'template' | 'parameters' | 'environment'>, explicit: ServerSize | null,
  flavors: FlavorLookup | null): Promise<Pick<StackReservationParams, 'amount' | 'vcpus' | 'memory_mb' | 'disk_gb' | 'sizing'>> {
  const template = parseTemplate(p.template);
  checkParameters(template, p.parameters, p.environment);
  const demand = countServers(template, p.parameters, p.environment);
  if (demand.servers === 0) {
    throw new InvalidInput('Invalid input for field/attribute template: it makes no servers (OS::Nova::Server, alone or in a '
      + 'ResourceGroup or AutoScalingGroup), so there is nothing to reserve');
  }
  const size = await sizeServers(demand, explicit, flavors);
  if (size.vcpus === 0 && size.memory_mb === 0 && size.disk_gb === 0) {
    throw new InvalidInput('Invalid values for vcpus/memory_mb/disk_gb: at least one must be greater than 0');
  }
  return { amount: demand.servers, ...size, sizing: explicit ? 'explicit' : 'flavor' };
}

/**
 * Checks a new reservation's parameters and works out its capacity (flavors looked up with `flavors`, null
 * when there is no compute service). Throws InvalidInput naming the field, or the resource of the template
 * that cannot be sized.
 */
export async function parseStackParams(raw: Record<string, unknown>, flavors: FlavorLookup | null): Promise<StackReservationParams> {
  checkKnown(raw, false);
  parseTemplate(raw.template);
  const given = {
    template: raw.template as StackReservationParams['template'],
    parameters: parametersOf(raw.parameters),
    environment: parseEnvironment(raw.environment),
  };
  const name = stackName(raw.stack_name);
  const affinity = parseAffinity(raw.affinity);
  const resourceProperties = filterText(raw.resource_properties);
  const explicit = explicitSize(raw);
  return {
    ...given, stack_name: name, ...(await capacity(given, explicit, flavors)), affinity, resource_properties: resourceProperties,
    flavor_id: null, server_group_id: null, aggregate_id: null, stack_id: null, stack_status: null, stack_status_reason: null,
    ...parseLifecycleActions(raw),
  };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Applies a PUT. Before the lease starts everything may change, and the capacity is worked out again when the
 * template, its parameters, the environment or the size changed; sizes sent back unchanged keep the flavor
 * sizing, and `null` for all three returns to it. Once the lease has started the stack exists, so only the
 * window and `on_end` may change (InvalidState otherwise). Output fields sent back are ignored.
 */
export async function updateStackParams(current: StackReservationParams, changes: Record<string, unknown>, started: boolean,
  flavors: FlavorLookup | null): Promise<StackReservationParams> {
  checkKnown(changes, true);
  const next: StackReservationParams = { ...current, ...updateLifecycleActions(current, changes, started) };
  if (changes.template !== undefined) {
    parseTemplate(changes.template);
    next.template = changes.template as StackReservationParams['template'];
  }
  if (Object.hasOwn(changes, 'parameters')) next.parameters = parametersOf(changes.parameters);
  if (Object.hasOwn(changes, 'environment')) next.environment = parseEnvironment(changes.environment);
  if (changes.stack_name !== undefined) next.stack_name = stackName(changes.stack_name);
  if (Object.hasOwn(changes, 'affinity')) next.affinity = parseAffinity(changes.affinity);
  if (changes.resource_properties !== undefined) next.resource_properties = filterText(changes.resource_properties);

  const sizesSent = SIZE_FIELDS.filter((f) => Object.hasOwn(changes, f));
  let explicit: ServerSize | null = current.sizing === 'explicit' ? { vcpus: current.vcpus, memory_mb: current.memory_mb, disk_gb: current.disk_gb } : null;
  let sizeChanged = false;
  if (sizesSent.length) {
    if (sizesSent.length === SIZE_FIELDS.length && SIZE_FIELDS.every((f) => changes[f] === null)) {
      sizeChanged = explicit !== null;
      explicit = null;
    } else {
      const merged = { vcpus: current.vcpus, memory_mb: current.memory_mb, disk_gb: current.disk_gb, ...Object.fromEntries(sizesSent.map((f) => [f, changes[f]])) };
      const size = explicitSize(merged);
      if (size && SIZE_FIELDS.some((f) => size[f] !== current[f])) {
        explicit = size;
        sizeChanged = true;
      }
    }
  }
  const recount = sizeChanged || !same(next.template, current.template) || !same(next.parameters, current.parameters)
    || !same(next.environment, current.environment);
  if (started) {
    for (const field of STACK_FIELDS) {
      if (!same(next[field], current[field]) || (sizeChanged && (SIZE_FIELDS as readonly string[]).includes(field))) {
        throw new InvalidState(`Cannot change ${field} of a virtual:stack reservation whose lease has started`);
      }
    }
    return next;
  }
  if (recount) Object.assign(next, await capacity(next, explicit, flavors));
  return next;
}
