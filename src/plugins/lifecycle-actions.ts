import { InvalidInput, InvalidState } from '../common';

/** What a virtual reservation does in the cloud when its lease starts: make its resources, or nothing. */
export type StartAction = 'create' | 'none';
/** What it does when the lease ends: delete what it made, or nothing. */
export type EndAction = 'delete' | 'none';

/**
 * The `on_start` / `on_end` parameters of virtual reservations. `create` / `delete` (the defaults) make the
 * resources at start and remove them at end; `none` only reserves the capacity and sends the notifications,
 * for tenants who orchestrate the resources themselves.
 */
export interface LifecycleActions {
  on_start: StartAction;
  on_end: EndAction;
}

export const LIFECYCLE_FIELDS = ['on_start', 'on_end'] as const;

const CHOICES: Record<keyof LifecycleActions, readonly string[]> = { on_start: ['create', 'none'], on_end: ['delete', 'none'] };
const DEFAULTS: LifecycleActions = { on_start: 'create', on_end: 'delete' };

function choice<K extends keyof LifecycleActions>(raw: Record<string, unknown>, field: K, fallback: LifecycleActions[K]): LifecycleActions[K] {
  const value = raw[field];
  if (value === undefined || value === null) return fallback;
  const allowed = CHOICES[field];
  const text = typeof value === 'string' ? value.trim().toLowerCase() : value;
  if (typeof text !== 'string' || !allowed.includes(text)) {
    throw new InvalidInput(`Invalid input for field/attribute ${field}. Value: ${JSON.stringify(value)}. Must be one of: ${allowed.join(', ')}`);
  }
  return text as LifecycleActions[K];
}

/** The choices of a new reservation (defaults: create, delete). Throws InvalidInput naming the field. */
export function parseLifecycleActions(raw: Record<string, unknown>): LifecycleActions {
  return { on_start: choice(raw, 'on_start', DEFAULTS.on_start), on_end: choice(raw, 'on_end', DEFAULTS.on_end) };
}

/**
 * Applies a PUT. `on_start` is fixed once the lease has started (the start already happened one way or the
 * other); `on_end` may change until the end. A field sent back unchanged is fine.
 */
export function updateLifecycleActions(current: Partial<LifecycleActions>, changes: Record<string, unknown>, started: boolean): LifecycleActions {
  const base: LifecycleActions = { on_start: current.on_start ?? DEFAULTS.on_start, on_end: current.on_end ?? DEFAULTS.on_end };
  const next: LifecycleActions = { on_start: choice(changes, 'on_start', base.on_start), on_end: choice(changes, 'on_end', base.on_end) };
  if (started && next.on_start !== base.on_start) {
    throw new InvalidState('Cannot change on_start of a reservation whose lease has started');
  }
  return next;
}

/**
 * The stored choices with the defaults filled in, for views: reservations stored before these parameters
 * existed show `create` / `delete`, which is what they do.
 */
export function lifecycleActionsOf(params: Record<string, unknown>): LifecycleActions {
  return { on_start: params.on_start === 'none' ? 'none' : 'create', on_end: params.on_end === 'none' ? 'none' : 'delete' };
}

/** Whether the plugin's start (`onStart`) or end (`onEnd`) action runs for these stored parameters. */
export function actsOn(hook: 'onStart' | 'onEnd', params: Record<string, unknown>): boolean {
  return hook === 'onStart' ? params.on_start !== 'none' : params.on_end !== 'none';
}
