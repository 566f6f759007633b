import { InvalidInput, InvalidState } from '../../common';
import { parseFilter } from '../filter';

/** Stored parameters of a physical:host reservation. */
export interface HostReservationParams {
  [key: string]: unknown;
  min: number;
  max: number;
  /** Filter texts as given (JSON strings; "" for none). */
  hypervisor_properties: string;
  resource_properties: string;
  /** What to do at before_end_lease; "default" does nothing but notify. */
  before_end: string;
}

const FILTER_FIELDS = ['hypervisor_properties', 'resource_properties'] as const;
const KNOWN = new Set(['min', 'max', ...FILTER_FIELDS, 'before_end']);

/** An integer >= 1, given as a number or as a numeric string (Heat sends strings). */
function count(value: unknown, field: string): number {
  const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
    throw new InvalidInput(`Invalid input for field/attribute ${field}. Value: ${JSON.stringify(value)}. Must be an integer of at least 1`);
  }
  // 1e300 is an integer to JS, but not a count SQL (LIMIT) or JSON round-trips can use.
  if (!Number.isSafeInteger(n)) {
    throw new InvalidInput(`Invalid input for field/attribute ${field}. Value: ${JSON.stringify(value)}. Must be at most ${Number.MAX_SAFE_INTEGER}`);
  }
  return n;
}

/** A filter field stored as the JSON text Blazar clients send; arrays (Heat) are serialised. */
function filterText(value: unknown, field: string): string {
  if (value === undefined || value === null || value === '') return '';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  parseFilter(text, field); // syntax errors are a 400 now, not at allocation time
  return text;
}

function checkKnown(raw: Record<string, unknown>): void {
  for (const key of Object.keys(raw)) {
    if (!KNOWN.has(key)) throw new InvalidInput(`Invalid input for field/attribute ${key}: not a parameter of physical:host reservations`);
  }
}

function checkOrder(p: HostReservationParams): void {
  if (p.min > p.max) throw new InvalidInput(`Invalid values for min/max: min (${p.min}) must not exceed max (${p.max})`);
}

export function parseHostParams(raw: Record<string, unknown>): HostReservationParams {
  checkKnown(raw);
  // null as well: Heat sends every key of its reservation schema, null when the template left it out.
  if (raw.min === undefined || raw.min === null) throw new InvalidInput('Missing parameter min');
  if (raw.max === undefined || raw.max === null) throw new InvalidInput('Missing parameter max');
  const before = raw.before_end ?? 'default';
  if (typeof before !== 'string') throw new InvalidInput('Invalid input for field/attribute before_end: expected a string');
  const params: HostReservationParams = {
    min: count(raw.min, 'min'),
    max: count(raw.max, 'max'),
    hypervisor_properties: filterText(raw.hypervisor_properties, 'hypervisor_properties'),
    resource_properties: filterText(raw.resource_properties, 'resource_properties'),
    before_end: before,
  };
  checkOrder(params);
  return params;
}

/**
 * Applies a PUT to stored parameters. Once the lease has started, the filters are fixed: the hosts are
 * already handed over, and changing what they must match would only be honoured by removing them.
 */
export function updateHostParams(current: HostReservationParams, changes: Record<string, unknown>, started: boolean): HostReservationParams {
  checkKnown(changes);
  const next: HostReservationParams = { ...current };
  if (changes.min !== undefined) next.min = count(changes.min, 'min');
  if (changes.max !== undefined) next.max = count(changes.max, 'max');
  for (const field of FILTER_FIELDS) {
    if (changes[field] === undefined) continue;
    const text = filterText(changes[field], field);
    if (started && text !== current[field]) {
      throw new InvalidState(`Cannot change ${field} of a reservation whose lease has started`);
    }
    next[field] = text;
  }
  if (changes.before_end !== undefined) {
    if (typeof changes.before_end !== 'string') throw new InvalidInput('Invalid input for field/attribute before_end: expected a string');
    next.before_end = changes.before_end;
  }
  checkOrder(next);
  return next;
}
