import { InvalidInput, InvalidState } from '../../common';
import { LIFECYCLE_FIELDS, parseLifecycleActions, updateLifecycleActions, type LifecycleActions } from '../lifecycle-actions';

/**
 * Stored parameters of a virtual:volume reservation. `on_start` / `on_end` are absent from reservations stored
 * before they existed (which then create and delete).
 */
export interface VolumeReservationParams extends Partial<LifecycleActions> {
  [key: string]: unknown;
  /** Volumes to create at start. */
  amount: number;
  /** Size of each, in GiB. */
  size_gb: number;
  /** Only pools of this type; null: any pool. */
  volume_type: string | null;
  /** Ids of the Cinder volumes made at start (nova compute driver); empty before and with driver none. */
  volume_ids: string[];
  /** What the last start or end did in Cinder (`created`, `create_failed`, `deleted`, `delete_failed`), and why it failed. */
  volumes_status?: string;
  volumes_status_reason?: string | null;
}

const INPUT = new Set<string>(['amount', 'size_gb', 'volume_type', ...LIFECYCLE_FIELDS]);
/** Shown by the API and sent back by some clients with a PUT; never taken from a request. */
const OUTPUT_ONLY = new Set(['volume_ids', 'volumes_status', 'volumes_status_reason']);
/** Cinder's size and our counts are 32-bit. */
const MAX = 2_147_483_647;

function integer(value: unknown, field: string): number {
  const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX) {
    throw new InvalidInput(`Invalid input for field/attribute ${field}. Value: ${JSON.stringify(value)}. Must be an integer from 1 to ${MAX}`);
  }
  return n;
}

function volumeType(value: unknown): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string' || value.length > 255) {
    throw new InvalidInput(`Invalid input for field/attribute volume_type. Value: ${JSON.stringify(value)}. Must be a string of at most 255 characters`);
  }
  return value.trim() || null;
}

function checkKnown(raw: Record<string, unknown>, allowOutput: boolean): void {
  for (const key of Object.keys(raw)) {
    if (INPUT.has(key) || (allowOutput && OUTPUT_ONLY.has(key))) continue;
    throw new InvalidInput(`Invalid input for field/attribute ${key}: not a parameter of virtual:volume reservations`);
  }
}

export function parseVolumeParams(raw: Record<string, unknown>): VolumeReservationParams {
  checkKnown(raw, false);
  for (const field of ['amount', 'size_gb']) {
    if (raw[field] === undefined || raw[field] === null) throw new InvalidInput(`Missing parameter ${field}`);
  }
  return {
    amount: integer(raw.amount, 'amount'), size_gb: integer(raw.size_gb, 'size_gb'), volume_type: volumeType(raw.volume_type), volume_ids: [],
    ...parseLifecycleActions(raw),
  };
}

/**
 * Applies a PUT. Before the lease starts amount, size, type and `on_start` may change (capacity is
 * re-checked); once it has started the volumes exist, so only the window and `on_end` may change. Output
 * fields sent back are ignored.
 */
export function updateVolumeParams(current: VolumeReservationParams, changes: Record<string, unknown>, started: boolean): VolumeReservationParams {
  checkKnown(changes, true);
  const next: VolumeReservationParams = { ...current, ...updateLifecycleActions(current, changes, started) };
  if (changes.amount !== undefined) next.amount = integer(changes.amount, 'amount');
  if (changes.size_gb !== undefined) next.size_gb = integer(changes.size_gb, 'size_gb');
  if (Object.hasOwn(changes, 'volume_type')) next.volume_type = volumeType(changes.volume_type);
  if (started) {
    for (const field of ['amount', 'size_gb', 'volume_type']) {
      if (next[field] !== current[field]) {
        throw new InvalidState(`Cannot change ${field} of a virtual:volume reservation whose lease has started`);
      }
    }
  }
  return next;
}
