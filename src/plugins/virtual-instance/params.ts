import { InvalidInput, InvalidState } from '../../common';
import { parseFilter } from '../filter';

/** true: every instance on one host; false: at most one per host; null: any spread. */
export type Affinity = boolean | null;

/** Stored parameters of a virtual:instance reservation. */
export interface InstanceReservationParams {
  [key: string]: unknown;
  amount: number;
  vcpus: number;
  memory_mb: number;
  disk_gb: number;
  affinity: Affinity;
  /** Filter text as given (JSON string; "" for none). */
  resource_properties: string;
  /** Set when the lease starts with the nova compute driver; null before (and always with driver none). */
  flavor_id: string | null;
  server_group_id: string | null;
  aggregate_id: number | null;
}

const INPUT = new Set(['amount', 'vcpus', 'memory_mb', 'disk_gb', 'affinity', 'resource_properties']);
/** Shown by the API and sent back by some clients with a PUT; never taken from a request. */
const OUTPUT_ONLY = new Set(['flavor_id', 'server_group_id', 'aggregate_id']);
/** Flavor sizes fixed once the lease has started: the flavor exists in Nova with these. */
const SIZE_FIELDS = ['vcpus', 'memory_mb', 'disk_gb'] as const;
/** Larger sizes are not a flavor Nova can hold (its columns are 32-bit). */
const MAX_SIZE = 2_147_483_647;

function integer(value: unknown, field: string, min: number): number {
  const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min) {
    throw new InvalidInput(`Invalid input for field/attribute ${field}. Value: ${JSON.stringify(value)}. Must be an integer of at least ${min}`);
  }
  if (n > MAX_SIZE) {
    throw new InvalidInput(`Invalid input for field/attribute ${field}. Value: ${JSON.stringify(value)}. Must be at most ${MAX_SIZE}`);
  }
  return n;
}

/** true/false/null as JSON (Heat) or "True"/"False"/"None" (the CLI), case-insensitively; missing is null. */
export function parseAffinity(value: unknown): Affinity {
  if (value === undefined || value === null || typeof value === 'boolean') return value ?? null;
  if (typeof value === 'string') {
    const v = value.trim().toLowerCase();
    if (v === 'true') return true;
    if (v === 'false') return false;
    if (v === 'none' || v === 'null' || v === '') return null;
  }
  throw new InvalidInput(`Invalid input for field/attribute affinity. Value: ${JSON.stringify(value)}. Must be true, false or null ("True", "False" or "None")`);
}

function filterText(value: unknown): string {
  if (value === undefined || value === null || value === '') return '';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  parseFilter(text, 'resource_properties');
  return text;
}

function checkKnown(raw: Record<string, unknown>, allowOutput: boolean): void {
  for (const key of Object.keys(raw)) {
    if (INPUT.has(key) || (allowOutput && OUTPUT_ONLY.has(key))) continue;
    throw new InvalidInput(`Invalid input for field/attribute ${key}: not a parameter of virtual:instance reservations`);
  }
}

function checkSize(p: Pick<InstanceReservationParams, 'vcpus' | 'memory_mb' | 'disk_gb'>): void {
  if (p.vcpus === 0 && p.memory_mb === 0 && p.disk_gb === 0) {
    throw new InvalidInput('Invalid values for vcpus/memory_mb/disk_gb: at least one must be greater than 0');
  }
}

export function parseInstanceParams(raw: Record<string, unknown>): InstanceReservationParams {
  checkKnown(raw, false);
  for (const field of ['amount', ...SIZE_FIELDS]) {
    if (raw[field] === undefined || raw[field] === null) throw new InvalidInput(`Missing parameter ${field}`);
  }
  const params: InstanceReservationParams = {
    amount: integer(raw.amount, 'amount', 1),
    vcpus: integer(raw.vcpus, 'vcpus', 0),
    memory_mb: integer(raw.memory_mb, 'memory_mb', 0),
    disk_gb: integer(raw.disk_gb, 'disk_gb', 0),
    affinity: parseAffinity(raw.affinity),
    resource_properties: filterText(raw.resource_properties),
    flavor_id: null,
    server_group_id: null,
    aggregate_id: null,
  };
  checkSize(params);
  return params;
}

/**
 * Applies a PUT to stored parameters. Before the lease starts everything may change. Once it has started the
 * flavor, group and hosts exist in Nova: `amount` may only rise (instances may already use every slot held, so
 * it is never lowered then), and sizes, affinity and filter are fixed (InvalidState). Output fields sent back
 * unchanged are ignored.
 */
export function updateInstanceParams(current: InstanceReservationParams, changes: Record<string, unknown>, started: boolean): InstanceReservationParams {
  checkKnown(changes, true);
  const next: InstanceReservationParams = { ...current };
  if (changes.amount !== undefined) next.amount = integer(changes.amount, 'amount', 1);
  for (const field of SIZE_FIELDS) if (changes[field] !== undefined) next[field] = integer(changes[field], field, 0);
  if (Object.hasOwn(changes, 'affinity')) next.affinity = parseAffinity(changes.affinity);
  if (changes.resource_properties !== undefined) next.resource_properties = filterText(changes.resource_properties);
  checkSize(next);
  if (started) {
    if (next.amount < current.amount) {
      throw new InvalidState(`Cannot lower amount of a virtual:instance reservation whose lease has started (from ${current.amount} `
        + `to ${next.amount}): its instances may already use the slots; it may only be raised`);
    }
    for (const field of [...SIZE_FIELDS, 'affinity', 'resource_properties']) {
      if (next[field] !== current[field]) {
        throw new InvalidState(`Cannot change ${field} of a virtual:instance reservation whose lease has started`);
      }
    }
  }
  return next;
}
