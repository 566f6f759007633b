import { isIP } from 'node:net';
import { InvalidInput, InvalidState } from '../../common';
import { LIFECYCLE_FIELDS, parseLifecycleActions, updateLifecycleActions, type LifecycleActions } from '../lifecycle-actions';

/**
 * Stored parameters of a virtual:floatingip reservation. `on_start` / `on_end` are absent from reservations stored
 * before they existed (which then create and delete).
 */
export interface FloatingIpReservationParams extends Partial<LifecycleActions> {
  [key: string]: unknown;
  network_id: string;
  amount: number;
  /** Addresses that must be part of the allocation (normalised, no duplicates). */
  required_floatingips: string[];
  /** The addresses held, set at allocation (shown by the API; never taken from a request). */
  floatingips: string[];
  /** The Neutron floating IPs made at start (nova compute driver). */
  floatingip_ids?: string[];
  /** What the last start or end did in Neutron (`created`, `create_failed`, `deleted`, `delete_failed`), and why it failed. */
  floatingips_status?: string;
  floatingips_status_reason?: string | null;
}

const INPUT = new Set<string>(['network_id', 'amount', 'required_floatingips', ...LIFECYCLE_FIELDS]);
const OUTPUT_ONLY = new Set(['floatingips', 'floatingip_ids', 'floatingips_status', 'floatingips_status_reason']);
const MAX_AMOUNT = 65_536;

function checkKnown(raw: Record<string, unknown>, allowOutput: boolean): void {
  for (const key of Object.keys(raw)) {
    if (INPUT.has(key) || (allowOutput && OUTPUT_ONLY.has(key))) continue;
    throw new InvalidInput(`Invalid input for field/attribute ${key}: not a parameter of virtual:floatingip reservations`);
  }
}

function amountOf(value: unknown): number {
  const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_AMOUNT) {
    throw new InvalidInput(`Invalid input for field/attribute amount. Value: ${JSON.stringify(value)}. Must be an integer from 1 to ${MAX_AMOUNT}`);
  }
  return n;
}

function networkOf(value: unknown): string {
  if (value === undefined || value === null) throw new InvalidInput('Missing parameter network_id');
  if (typeof value !== 'string' || !value.trim() || value.trim().length > 255) {
    throw new InvalidInput(`Invalid input for field/attribute network_id. Value: ${JSON.stringify(value)}. Must be a network id`);
  }
  return value.trim();
}

function requiredOf(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    throw new InvalidInput(`Invalid input for field/attribute required_floatingips. Value: ${JSON.stringify(value)}. Must be a list of IP addresses`);
  }
  const out: string[] = [];
  for (const item of value) {
    if (typeof item !== 'string' || !isIP(item.trim())) {
      throw new InvalidInput(`Invalid input for field/attribute required_floatingips. Value: ${JSON.stringify(item)}. Not an IP address`);
    }
    const address = item.trim();
    if (out.includes(address)) {
      throw new InvalidInput(`Invalid input for field/attribute required_floatingips: ${address} is listed twice`);
    }
    out.push(address);
  }
  return out;
}

function checkAmount(params: Pick<FloatingIpReservationParams, 'amount' | 'required_floatingips'>): void {
  if (params.amount < params.required_floatingips.length) {
    throw new InvalidInput(`Invalid values for amount/required_floatingips: amount (${params.amount}) is less than the number of `
      + `required floating IPs (${params.required_floatingips.length})`);
  }
}

export function parseFloatingIpParams(raw: Record<string, unknown>): FloatingIpReservationParams {
  checkKnown(raw, false);
  if (raw.amount === undefined || raw.amount === null) throw new InvalidInput('Missing parameter amount');
  const params: FloatingIpReservationParams = {
    network_id: networkOf(raw.network_id),
    amount: amountOf(raw.amount),
    required_floatingips: requiredOf(raw.required_floatingips),
    floatingips: [],
    ...parseLifecycleActions(raw),
  };
  checkAmount(params);
  return params;
}

/**
 * Applies a PUT: `amount` may change (re-checked against the window by the plugin); the network and the
 * required addresses are fixed once reserved; `on_end` may change until the end, `on_start` until the start.
 * The allocated addresses, if sent back, are ignored.
 */
export function updateFloatingIpParams(current: FloatingIpReservationParams, changes: Record<string, unknown>, started: boolean): FloatingIpReservationParams {
  checkKnown(changes, true);
  const next: FloatingIpReservationParams = {
    ...current, required_floatingips: [...current.required_floatingips], floatingips: [...current.floatingips],
    ...updateLifecycleActions(current, changes, started),
  };
  if (changes.network_id !== undefined && networkOf(changes.network_id) !== current.network_id) {
    throw new InvalidInput('network_id of a virtual:floatingip reservation cannot be changed');
  }
  if (changes.required_floatingips !== undefined) {
    const required = requiredOf(changes.required_floatingips);
    const same = required.length === current.required_floatingips.length && required.every((a) => current.required_floatingips.includes(a));
    if (!same) throw new InvalidInput('required_floatingips of a virtual:floatingip reservation cannot be changed');
  }
  if (changes.amount !== undefined) {
    next.amount = amountOf(changes.amount);
    if (started && next.amount < current.amount) {
      throw new InvalidState('Cannot reduce the amount of floating IPs of a reservation whose lease has started');
    }
  }
  checkAmount(next);
  return next;
}
