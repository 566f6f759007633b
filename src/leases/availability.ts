import type { RequestContext } from '../auth/context';
import { durationSeconds, InvalidInput } from '../common';
import type { Tx } from '../db';
import { ceilMinute } from '../plugins/availability-sweep';
import type {
  AvailabilityPlanner, AvailabilityQuery, Prepared, ReservationParams, ResourcePlugin, SlotPlacement, TrialHolds, ValidateContext,
} from '../plugins';
import { parseLeaseDate, renderLeaseDate } from './dates';
import { messageDate } from './lease-rules';
import type { LeaseDomainDeps } from './deps';

/** A reservation of a lease body, checked by its plugin, with what the plugin asked the cloud for its allocation. */
export interface ValidatedReservation {
  plugin: ResourcePlugin;
  params: ReservationParams;
  /** The plugin's `prepare` answer (undefined: it has none), asked before any transaction. */
  prepared?: Prepared;
}

/** A window in which every reservation of a lease fits, with what each would get. */
export interface FoundSlot {
  start: Date;
  end: Date;
  placements: { resourceType: string; placement: SlotPlacement }[];
}

const DAY_MS = 86_400_000;

/** A request's `duration` in milliseconds; a 400 naming the field when it is missing or not a positive duration. */
export function parseDuration(value: unknown): number {
  if (value === undefined || value === null) throw new InvalidInput('Missing parameter duration');
  const seconds = durationSeconds(value);
  if (seconds === null) {
    throw new InvalidInput(`Invalid input for field/attribute duration. Value: ${JSON.stringify(value)}. `
      + 'Must be a positive number of seconds, or a number followed by s, m, h, d or w (e.g. "90m", "3h", "2d")');
  }
  return Math.round(seconds * 1000);
}

/**
 * The search range of a request: `not_before` (default now; the past counts as now) rounded up to the minute,
 * `not_after` (default: the largest horizon), and the duration. A range longer than `maxHorizonDays` is refused.
 */
export function parseSearchRange(body: Record<string, unknown>, now: Date, maxHorizonDays: number): AvailabilityQuery {
  const durationMs = parseDuration(body.duration);
  const asked = body.not_before == null ? now : parseField(body.not_before, 'not_before', now);
  const notBefore = asked < now ? now : asked;
  const horizonMs = maxHorizonDays * DAY_MS;
  const to = body.not_after == null ? new Date(notBefore.getTime() + horizonMs) : parseField(body.not_after, 'not_after', now);
  if (to <= notBefore) {
    throw new InvalidInput(`Invalid input for field/attribute not_after: ${messageDate(to)} must be later than not_before (${messageDate(notBefore)})`);
  }
  if (to.getTime() - notBefore.getTime() > horizonMs) {
    throw new InvalidInput(`Invalid input for field/attribute not_after: searches span at most ${maxHorizonDays} days from not_before `
      + '([DEFAULT] availability_max_horizon_days)');
  }
  return { from: new Date(ceilMinute(notBefore.getTime())), to, durationMs };
}

function parseField(value: unknown, field: string, now: Date): Date {
  try {
    return parseLeaseDate(value, now);
  } catch (error) {
    if (error instanceof InvalidInput) throw new InvalidInput(`Invalid input for field/attribute ${field}: ${error.message}`);
    throw error;
  }
}

/**
 * The earliest windows, at most `limit`, not overlapping each other, in which all the reservations fit together,
 * each tried in order with what the earlier ones would take (as a create allocates them). One read per
 * reservation, then a sweep over the candidate starts in memory.
 */
export async function findSlots(tx: Tx | undefined, reservations: readonly ValidatedReservation[], query: AvailabilityQuery,
  limit: number): Promise<FoundSlot[]> {
  const planners: AvailabilityPlanner[] = [];
  for (const r of reservations) planners.push(await plannerOf(tx, r, query));
  const lo = query.from.getTime();
  const hi = query.to.getTime() - query.durationMs;
  const starts = planners.length ? [...new Set(planners.flatMap((p) => p.candidates()))].sort((a, b) => a - b) : hi >= lo ? [lo] : [];
  const tryAt = (start: number): FoundSlot | null => {
    const holds: TrialHolds = { wholeHosts: new Set(), instanceUse: new Map(), others: new Set(), amounts: new Map() };
    const placements: FoundSlot['placements'] = [];
    for (const [i, planner] of planners.entries()) {
      const placement = planner.place(start, holds);
      if (!placement) return null;
      placements.push({ resourceType: reservations[i].plugin.resourceType, placement });
    }
    return { start: new Date(start), end: new Date(start + query.durationMs), placements };
  };
  const slots: FoundSlot[] = [];
  // The next window may begin where the last one ends: that start is tried before the candidates after it.
  let next = lo;
  let probe = false;
  let i = 0;
  while (slots.length < limit) {
    let start: number;
    if (probe) {
      start = next;
      probe = false;
    } else {
      while (i < starts.length && starts[i] < next) i++;
      if (i >= starts.length) break;
      start = starts[i++];
    }
    const slot = tryAt(start);
    if (!slot) {
      next = Math.max(next, start + 1);
      continue;
    }
    slots.push(slot);
    next = ceilMinute(start + query.durationMs);
    probe = next <= hi;
  }
  return slots;
}

async function plannerOf(tx: Tx | undefined, r: ValidatedReservation, query: AvailabilityQuery): Promise<AvailabilityPlanner> {
  if (!r.plugin.planAvailability) {
    throw new InvalidInput(`Invalid input for field/attribute resource_type: ${r.plugin.resourceType} is not supported for availability yet`);
  }
  return r.plugin.planAvailability(tx, r.params, query, r.prepared);
}

/**
 * Validates the reservations of a body with their plugins, and asks the cloud what their allocation needs
 * (`prepare`): outside any transaction. Errors name the reservation when there are several.
 */
export async function validateReservations(deps: Pick<LeaseDomainDeps, 'plugins'>, raw: unknown,
  context?: ValidateContext): Promise<ValidatedReservation[]> {
  const list = Array.isArray(raw) ? (raw as Record<string, unknown>[]) : [];
  return Promise.all(list.map(async (item, index) => {
    const { resource_type: type, ...params } = item;
    const plugin = typeof type === 'string' ? deps.plugins.get(type) : undefined;
    if (!plugin) {
      throw new InvalidInput(`Invalid resource_type ${JSON.stringify(type)}; enabled types: ${deps.plugins.types().join(', ')}`);
    }
    try {
      const valid = await plugin.validate(params, context);
      return { plugin, params: valid, prepared: await plugin.prepare?.(valid) };
    } catch (error) {
      if (error instanceof InvalidInput && list.length > 1) throw new InvalidInput(`reservations[${index}]: ${error.message}`);
      throw error;
    }
  }));
}

export interface AvailabilityServiceDeps extends Pick<LeaseDomainDeps, 'repos' | 'plugins' | 'clock'> {
  policy?: {
    enforce(ctx: RequestContext, rule: string, target?: Readonly<Record<string, unknown>>): void;
    check(ctx: RequestContext, rule: string, target?: Readonly<Record<string, unknown>>): boolean;
  };
}

export interface AvailabilityOptions {
  /** `[DEFAULT] availability_max_horizon_days`. */
  maxHorizonDays: number;
  /** Slots answered when the request gives no `limit`, and the most answered. */
  defaultLimit: number;
  maxLimit: number;
}

/** POST /v1/leases/availability: when could this lease be created? Reads only. */
export class AvailabilityService {
  constructor(private readonly deps: AvailabilityServiceDeps, private readonly options: AvailabilityOptions) {}

  async find(ctx: RequestContext, body: Record<string, unknown>): Promise<{ slots: Record<string, unknown>[] }> {
    const target = { project_id: ctx.projectId, user_id: ctx.userId };
    this.deps.policy?.enforce(ctx, 'climate:leases:availability', target);
    // Without a policy engine (tests of the service alone), only admins see host names.
    const showHosts = this.deps.policy ? this.deps.policy.check(ctx, 'climate:leases:availability:hosts', target) : ctx.isAdmin;
    const query = parseSearchRange(body, this.deps.clock.now(), this.options.maxHorizonDays);
    const limit = Math.min(typeof body.limit === 'number' ? body.limit : this.options.defaultLimit, this.options.maxLimit);
    const reservations = await validateReservations(this.deps, body.reservations, ctx.projectId ? { projectId: ctx.projectId } : undefined);
    const slots = await findSlots(undefined, reservations, query, limit);
    return { slots: slots.map((s) => renderSlot(s, showHosts)) };
  }
}

function renderSlot(slot: FoundSlot, showHosts: boolean): Record<string, unknown> {
  return {
    start_date: renderLeaseDate(slot.start),
    end_date: renderLeaseDate(slot.end),
    reservations: slot.placements.map(({ resourceType, placement }) => ({
      resource_type: resourceType,
      count: placement.count,
      ...(showHosts && !placement.floatingips && !placement.pool ? {
        hosts: placement.hosts.map((h) => ({
          id: String(h.id), hypervisor_hostname: h.name, ...(h.instances === undefined ? {} : { instances: h.instances }),
        })),
      } : {}),
      ...(showHosts && placement.floatingips ? { floatingips: placement.floatingips } : {}),
      ...(showHosts && placement.pool ? { pool: placement.pool } : {}),
    })),
  };
}
