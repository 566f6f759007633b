import { randomUUID } from 'node:crypto';
import type { RequestContext } from '../auth/context';
import type { LeaseTrusts } from '../auth/trusts';
import { Conflict, InvalidInput, InvalidState, NotEnoughResources, NotFound } from '../common';
import type { UsageEnforcement } from '../enforcement';
import type { QuotaCheck } from '../quotas';
import { isUniqueViolation, type EventRecord, type LeaseListQuery, type LeaseRecord, type LeaseStatus, type Repositories, type ReservationRecord, type Tx } from '../db';
import { actsOn, ConflictNamingLeases, type AvailabilityQuery, type Prepared, type ResourcePlugin } from '../plugins';
import { findSlots, parseSearchRange, validateReservations } from './availability';
import { parseLeaseDate } from './dates';
import type { LeaseDomainDeps } from './deps';
import { EVENT_SEQUENCE, moveBeforeEnd, planLeaseEvents, START_LEASE, UPDATE_LEASE, USER_EVENT_SEQUENCE } from './event-plan';
import { checkBeforeEnd, checkName, checkWindow, MESSAGES, messageDate, optionalDate } from './lease-rules';
import { logSkippedAction } from './lifecycle';
import { needsOwnerTrust, PendingTrust, requestedReservations, type TrustSubject } from './owner-trust';
import { scheduleLeaseUpdate } from './update-event';
import { renderLease, renderLeases, renderLeasesJson, type LeaseView } from './view';

export interface LeaseServiceOptions {
  minutesBeforeEndLease: number;
  minutesBeforeStartLease: number;
  /** Longest not_before..not_after range of an earliest-fit create (`[DEFAULT] availability_max_horizon_days`); default 90. */
  availabilityMaxHorizonDays?: number;
}

const DEFAULT_MAX_HORIZON_DAYS = 90;
/** An earliest-fit create searches again at most this many times after losing its window to a concurrent create. */
const EARLIEST_ATTEMPTS = 3;
/** Fields of an earliest-fit create only. */
const EARLIEST_FIELDS = ['not_before', 'not_after', 'duration'] as const;

/** 409: no window of the duration in the range fits every reservation of the lease. */
class NoWindow extends NotEnoughResources {
  constructor(range: AvailabilityQuery) {
    super(`No window of ${range.durationMs / 1000} seconds between ${messageDate(range.from)} and ${messageDate(range.to)} `
      + 'has room for every reservation of the lease');
  }
}

export interface LeaseServiceDeps extends LeaseDomainDeps {
  /** Called after a commit that added or moved events, so an in-process manager wakes up. */
  onEventsChanged?: () => void;
  /** Policy rules climate:leases:*, checked against the lease's own project; without it, ownership only. */
  policy?: { enforce(ctx: RequestContext, rule: string, target?: Readonly<Record<string, unknown>>): void };
  /**
   * Keystone trusts (keystone mode): created for a lease that acts as its owner (see owner-trust.ts) while its
   * create is validated, deleted with the lease or when it ends.
   */
  trusts?: LeaseTrusts;
  /** [enforcement] filters: checked in a create's or update's transaction, before it commits. */
  enforcement?: UsageEnforcement;
  /** Per-project quotas: checked in a create's or update's transaction, after its allocations. */
  quotas?: QuotaCheck;
}

export interface LeaseListOptions {
  status?: string;
  name?: string;
  projectId?: string;
  limit?: number;
  marker?: string;
}

type Body = Record<string, unknown>;

/** Statuses in which a lease accepts a PUT. ERROR is repairable. */
const UPDATABLE: readonly LeaseStatus[] = ['PENDING', 'ACTIVE', 'ERROR'];
/** Statuses in which the manager is acting on the lease: wait for it to finish. */
const BUSY: readonly LeaseStatus[] = ['CREATING', 'STARTING', 'UPDATING', 'TERMINATING', 'DELETING'];
const OWN_EVENT_TYPES = new Set(Object.keys(EVENT_SEQUENCE));

/**
 * Leases: create, read, update, delete, each in one transaction together with its allocations, events and
 * notification. Resource-specific work is delegated to the plugins.
 */
export class LeaseService {
  constructor(private readonly deps: LeaseServiceDeps, private readonly options: LeaseServiceOptions) {}

  private get repos(): Repositories {
    return this.deps.repos;
  }

  private plugin(resourceType: unknown): ResourcePlugin {
    const plugin = typeof resourceType === 'string' ? this.deps.plugins.get(resourceType) : undefined;
    if (!plugin) {
      throw new InvalidInput(`Invalid resource_type ${JSON.stringify(resourceType)}; enabled types: ${this.deps.plugins.types().join(', ')}`);
    }
    return plugin;
  }

  /** Leases the caller may see, in creation order, one page at a time. */
  async list(ctx: RequestContext, options: LeaseListOptions = {}): Promise<{ leases: LeaseView[]; nextMarker: string | null }> {
    const { page, nextMarker } = await this.page(ctx, options, (q) => this.repos.leases.list(q));
    return { leases: await this.render(page), nextMarker };
  }

  /**
   * `list` as the JSON text of its leases array, in pieces (renderLeasesJson), which GET /v1/leases sends as they
   * are: the leases' own fields and their events come as JSON text from the database, only the reservations
   * (their parameters and what plugins add) are rendered here. Three statements for any page size.
   */
  async listJson(ctx: RequestContext, options: LeaseListOptions = {}): Promise<{ leasesJson: string[]; nextMarker: string | null }> {
    const { page, nextMarker, query } = await this.page(ctx, options, (q) => this.repos.leases.listJson(q));
    if (!page.length) return { leasesJson: ['[]'], nextMarker };
    const ids = this.repos.leases.pageIds(query, page);
    const [reservations, events] = await Promise.all([
      this.repos.reservations.listByLeaseIds(ids), this.repos.events.listJsonByLeases(ids)]);
    return { leasesJson: renderLeasesJson(page, reservations, events, this.deps.plugins), nextMarker };
  }

  /** The page `options` asks for of what the caller may see, read by `read` (records or JSON text). */
  private async page<T extends { id: string }>(ctx: RequestContext, options: LeaseListOptions, read: (q: LeaseListQuery) => Promise<T[]>):
  Promise<{ page: T[]; nextMarker: string | null; query: LeaseListQuery }> {
    this.authorize(ctx, 'climate:leases:get', { project_id: ctx.projectId, user_id: ctx.userId });
    const projectId = ctx.isAdmin ? options.projectId : (ctx.projectId ?? '');
    let after: { createdAt: Date; id: string } | undefined;
    if (options.marker !== undefined) {
      const marker = await this.repos.leases.get(options.marker);
      if (!marker || (projectId !== undefined && marker.projectId !== projectId)) {
        throw new InvalidInput(`Invalid marker ${options.marker}: no such lease`);
      }
      after = { createdAt: marker.createdAt, id: marker.id };
    }
    const limit = options.limit;
    const query: LeaseListQuery = { projectId, status: options.status, name: options.name };
    const rows = await read({ ...query, after, limit: limit === undefined ? undefined : limit + 1 });
    const page = limit === undefined ? rows : rows.slice(0, limit);
    const nextMarker = limit !== undefined && rows.length > limit ? page[page.length - 1].id : null;
    return { page, nextMarker, query };
  }

  async get(ctx: RequestContext, id: string): Promise<LeaseView> {
    const lease = this.visible(ctx, await this.repos.leases.get(id), id, 'climate:leases:get');
    return (await this.render([lease]))[0];
  }

  async create(ctx: RequestContext, body: Body): Promise<LeaseView> {
    this.authorize(ctx, 'climate:leases:post', { project_id: ctx.projectId, user_id: ctx.userId });
    const now = this.deps.clock.now();
    const name = checkName(body.name);
    // "earliest": the window is the first one found for `duration` between not_before and not_after (issue 14).
    const range = body.start_date === 'earliest' ? this.earliestRange(body, now) : null;
    if (!range) {
      for (const field of EARLIEST_FIELDS) {
        if (body[field] !== undefined) throw new InvalidInput(`Invalid input for field/attribute ${field}: only with "start_date": "earliest"`);
      }
    }
    if (!range && (body.end_date === undefined || body.end_date === null)) throw new InvalidInput('Missing parameter end_date');
    const start = range ? range.from : body.start_date == null ? parseLeaseDate('now', now) : parseLeaseDate(body.start_date, now);
    const end = range ? new Date(range.from.getTime() + range.durationMs) : parseLeaseDate(body.end_date, now);
    const beforeEnd = optionalDate(body.before_end_date, now) ?? null;
    const beforeStart = optionalDate(body.before_start_date, now) ?? null;
    if (!range) {
      checkWindow({ start, end, beforeStart }, now, true);
      if (beforeEnd) checkBeforeEnd(beforeEnd, { start, end });
    }
    const projectId = ctx.projectId;
    if (!projectId) throw new InvalidInput('A lease needs a project: the request has no project scope');

    // Only a lease holding a reservation that acts as its owner gets a Keystone trust (issue 18). The call runs
    // while the reservations are validated (which may ask Nova about flavors), not before; it is awaited before
    // the transaction rather than inside it, so no host's row lock (no SQLite write lock) waits on Keystone.
    const trust = this.deps.trusts && needsOwnerTrust(this.deps.plugins, requestedReservations(body.reservations))
      ? new PendingTrust(this.deps.trusts, ctx, projectId) : null;
    let validated: Awaited<ReturnType<typeof validateReservations>>;
    let userEvents: { eventType: string; time: Date }[];
    let trustId: string | null;
    try {
      validated = await validateReservations(this.deps, body.reservations, { projectId });
      userEvents = this.userEvents(body.events, now);
      trustId = (await trust?.id()) ?? null;
    } catch (error) {
      await trust?.withdraw();
      throw error;
    }

    const lease: LeaseRecord = {
      id: randomUUID(), name, userId: ctx.userId, projectId, trustId, startDate: start, endDate: end,
      beforeEndDate: beforeEnd, beforeStartDate: beforeStart, status: 'PENDING', statusReason: null, degraded: false,
      createdAt: now, updatedAt: null,
    };
    const reservations: ReservationRecord[] = validated.map(({ plugin, params }) => ({
      id: randomUUID(), leaseId: lease.id, resourceType: plugin.resourceType, resourceId: randomUUID(),
      status: 'pending', missingResources: false, resourcesChanged: false, params, createdAt: now, updatedAt: null,
    }));
    const eventsFor = (): EventRecord[] => [...this.planEvents(lease, now), ...userEvents].map((p): EventRecord => ({
      id: randomUUID(), leaseId: lease.id, eventType: p.eventType,
      // hasOwn: a user event may be named "constructor".
      sequence: Object.hasOwn(EVENT_SEQUENCE, p.eventType) ? EVENT_SEQUENCE[p.eventType] : USER_EVENT_SEQUENCE,
      time: p.time, status: 'UNDONE', claimedBy: null, claimExpiresAt: null, attempts: 0, lastError: null,
      createdAt: now, updatedAt: null,
    })).sort((a, b) => a.time.getTime() - b.time.getTime() || a.sequence - b.sequence);

    const attempt = () => this.inTransaction(async (tx) => {
      if (range) {
        // Found and booked in one transaction: what the search saw is re-checked under the allocation's locks.
        const [slot] = await findSlots(tx, validated, range, 1);
        if (!slot) throw new NoWindow(range);
        lease.startDate = slot.start;
        lease.endDate = slot.end;
        checkWindow({ start: slot.start, end: slot.end, beforeStart }, now, true);
        if (beforeEnd) checkBeforeEnd(beforeEnd, { start: slot.start, end: slot.end });
      }
      const events = eventsFor();
      // The unique index on (project, name) refuses a duplicate; inTransaction turns that into the 409.
      await this.repos.leases.insert(tx, lease);
      for (const [i, r] of reservations.entries()) {
        await this.repos.reservations.insert(tx, r);
        await validated[i].plugin.allocate(tx, r, { start: lease.startDate, end: lease.endDate }, validated[i].prepared);
      }
      // The usage ledger records the allocations with them (GET /v1/usage outlives the lease).
      await this.repos.usage.recordLease(tx, lease.id, now, { fresh: true });
      // After allocation, so the filters see the resources; a refusal rolls everything back.
      await this.deps.enforcement?.checkCreate(tx, lease, reservations, now);
      // Counted from the ledger just written, under the project's lock (taken after the external service's answer,
      // so a project's creates do not queue behind it); a refusal rolls everything back.
      await this.deps.quotas?.checkCreate(tx, lease, now);
      await this.repos.events.insertMany(tx, events);
      const rendered = renderLease(lease, reservations, events, this.deps.plugins);
      await this.deps.notifier.emit(tx, 'lease.create', rendered, { leaseId: lease.id });
      return rendered;
    }, name);
    // The trust was made for this lease only: a transaction that fails withdraws it.
    const view = await this.withRetries(attempt, range ? EARLIEST_ATTEMPTS : 1).catch(async (error: unknown) => {
      await trust?.withdraw();
      throw error;
    });
    this.deps.logger.info(`lease ${lease.id} (${name}) created`, { lease_id: lease.id, project_id: projectId });
    this.deps.onEventsChanged?.();
    return view;
  }

  /** The search range of an earliest-fit create; it has a duration instead of an end date. */
  private earliestRange(body: Body, now: Date): AvailabilityQuery {
    if (body.end_date != null) {
      throw new InvalidInput('Invalid input for field/attribute end_date: with "start_date": "earliest", give duration (and not_before, not_after) instead');
    }
    return parseSearchRange(body, now, this.options.availabilityMaxHorizonDays ?? DEFAULT_MAX_HORIZON_DAYS);
  }

  /**
   * Runs a create again when its allocation lost a race the search could not see (another transaction booked the
   * window between this one's search and its locks): the next attempt searches what that one committed.
   */
  private async withRetries<T>(fn: () => Promise<T>, attempts: number): Promise<T> {
    for (let i = 1; ; i++) {
      try {
        return await fn();
      } catch (error) {
        if (i >= attempts || !(error instanceof NotEnoughResources) || error instanceof NoWindow) throw error;
      }
    }
  }

  async update(ctx: RequestContext, id: string, body: Body): Promise<LeaseView> {
    const now = this.deps.clock.now();
    // What the allocation needs from the cloud, before the transaction (and before a trust is made for nothing).
    const prepared = await this.prepareUpdate(ctx, id, body);
    // A change that makes the lease act as its owner gets the owner's trust first, as a create would have.
    const trust = await this.trustForUpdate(ctx, id, body);
    let trustStored = false;
    const view = await this.inTransaction(async (tx) => {
      const lease = this.visible(ctx, await this.repos.leases.getForUpdate(tx, id), id, 'climate:leases:put');
      if (BUSY.includes(lease.status)) throw new InvalidState(`Lease ${id} is ${lease.status}; try again when that is finished`);
      if (!UPDATABLE.includes(lease.status)) throw new InvalidState(`Lease ${id} is ${lease.status} and can no longer be updated`);
      const [reservations, events] = await Promise.all([
        this.repos.reservations.listByLeases([id], tx), this.repos.events.listByLeases([id], tx)]);
      const started = lease.status === 'ACTIVE' || events.some((e) => e.eventType === START_LEASE && e.status === 'DONE');
      // The lease as it is, for the filters' check-update (read before the reservations change).
      const before = this.deps.enforcement?.enabled ? await this.deps.enforcement.subject(tx, lease, reservations) : null;
      const quotaBefore = await this.deps.quotas?.before(tx, lease, now);

      const next: LeaseRecord = { ...lease, updatedAt: now };
      // (A concurrent update may have given it one since: that one stays, this one is withdrawn below.)
      if (trust && !lease.trustId) next.trustId = trust;
      if (body.name !== undefined) next.name = checkName(body.name);
      const newStart = optionalDate(body.start_date, now);
      const startChanged = newStart != null && newStart.getTime() !== lease.startDate.getTime();
      if (startChanged && started) throw new InvalidInput(MESSAGES.startOfStartedLease);
      if (newStart) next.startDate = newStart;
      const newEnd = optionalDate(body.end_date, now);
      if (newEnd) next.endDate = newEnd;
      const beforeEnd = optionalDate(body.before_end_date, now);
      if (beforeEnd !== undefined) next.beforeEndDate = beforeEnd;
      else if (lease.beforeEndDate) next.beforeEndDate = moveBeforeEnd(lease.beforeEndDate, lease.endDate, { start: next.startDate, end: next.endDate });
      const beforeStart = optionalDate(body.before_start_date, now);
      if (beforeStart !== undefined) next.beforeStartDate = beforeStart;
      checkWindow({ start: next.startDate, end: next.endDate, beforeStart: next.beforeStartDate }, now, startChanged);
      if (beforeEnd) checkBeforeEnd(beforeEnd, { start: next.startDate, end: next.endDate });
      if (next.name !== lease.name) await this.checkNameFree(tx, next.name, lease.projectId, id);

      const windowChanged = startChanged || next.endDate.getTime() !== lease.endDate.getTime();
      const changes = this.reservationChanges(body.reservations, reservations);
      const updatedReservations: ReservationRecord[] = [];
      // Set when a started lease's resources changed in a way the cloud must follow (e.g. a raised amount).
      let cloudChanged = false;
      for (const r of reservations.map((item) => ({ ...item }))) {
        const plugin = this.plugin(r.resourceType);
        const change = changes.get(r.id);
        const params = change ? await plugin.validateUpdate(r.params, change, started) : r.params;
        const updated = change ? { ...r, params, updatedAt: now } : r;
        if (change) await this.repos.reservations.updateParams(tx, r.id, params, now);
        if ((change || windowChanged) && r.status !== 'deleted') {
          const window = { start: next.startDate, end: next.endDate };
          if (await plugin.reallocate(tx, updated, window, started, prepared.get(r.id))) cloudChanged = true;
        }
        updatedReservations.push(updated);
      }
      // What it held until now stays in the usage ledger; from now on, what it holds after the change.
      if (windowChanged || changes.size) await this.repos.usage.recordLease(tx, id, now);
      // As Blazar, a rename alone is not checked; anything else is, by the same filters as a create.
      if (before && (windowChanged || changes.size > 0)) {
        await this.deps.enforcement!.checkUpdate(tx, before, next, updatedReservations, now);
      }
      if (quotaBefore && (windowChanged || changes.size > 0)) await this.deps.quotas!.checkUpdate(tx, quotaBefore, next, now);
      if (lease.status === 'ERROR') {
        // A PUT repairs a lease in ERROR: the events that failed run again, from the state before the failure.
        next.status = started ? 'ACTIVE' : 'PENDING';
        next.statusReason = null;
        await this.repos.reservations.setStatusForLease(tx, id, started ? 'active' : 'pending', now);
        for (const r of updatedReservations) r.status = started ? 'active' : 'pending';
      }
      await this.repos.leases.update(tx, id, {
        name: next.name, startDate: next.startDate, endDate: next.endDate, beforeEndDate: next.beforeEndDate,
        beforeStartDate: next.beforeStartDate, status: next.status, statusReason: next.statusReason, updatedAt: now,
        ...(next.trustId !== lease.trustId ? { trustId: next.trustId } : {}),
      });
      trustStored = next.trustId === trust && trust !== null;
      const newEvents = await this.moveEvents(tx, next, events, now);
      if (lease.status === 'ERROR') {
        for (const e of newEvents.filter((event) => event.status === 'ERROR')) {
          await this.repos.events.retry(tx, e.id, now);
          e.status = 'UNDONE';
          e.attempts = 0;
        }
      }
      // Hooks run outside transactions: the change commits first, with an event that applies it to the cloud.
      const update = cloudChanged ? await scheduleLeaseUpdate(this.repos, tx, id, now, newEvents) : null;
      if (update) {
        newEvents.push(update);
        newEvents.sort((a, b) => a.time.getTime() - b.time.getTime() || a.sequence - b.sequence);
      }
      const rendered = renderLease(next, updatedReservations, newEvents, this.deps.plugins);
      await this.deps.notifier.emit(tx, 'lease.update', rendered, { leaseId: id });
      return rendered;
    }, typeof body.name === 'string' ? body.name : undefined).catch(async (error: unknown) => {
      trustStored = false;
      // A refusal caused by other leases names those the caller may see (their project's, or any for an admin).
      if (error instanceof ConflictNamingLeases) throw error.revealedTo((projectId) => ctx.isAdmin || projectId === ctx.projectId);
      throw error;
    }).finally(async () => {
      // Made for this update and not kept (the transaction failed, or the lease already had one): withdrawn.
      if (trust && !trustStored) await this.deps.trusts?.release(trust, ctx);
    });
    this.deps.logger.info(`lease ${id} updated`, { lease_id: id });
    this.deps.onEventsChanged?.();
    return view;
  }

  /**
   * What the plugins must ask the cloud before an update reallocates (their `prepare`), by reservation id: asked
   * here, before the transaction, from the stored parameters (a PUT cannot change what `prepare` depends on), for
   * the reservations the update may reallocate: those it changes, or all when it sends dates.
   */
  private async prepareUpdate(ctx: RequestContext, id: string, body: Body): Promise<Map<string, Prepared>> {
    const out = new Map<string, Prepared>();
    // Checked again in the transaction; here so that a lease the caller may not see costs no cloud call.
    this.visible(ctx, await this.repos.leases.get(id), id, 'climate:leases:put');
    const datesSent = body.start_date !== undefined || body.end_date !== undefined;
    const named = new Set(Array.isArray(body.reservations) ? body.reservations.map((r) => (r as { id?: unknown } | null)?.id) : []);
    for (const r of await this.repos.reservations.listByLeases([id])) {
      const plugin = this.deps.plugins.get(r.resourceType);
      if (!plugin?.prepare || r.status === 'deleted' || !(datesSent || named.has(r.id))) continue;
      out.set(r.id, await plugin.prepare(r.params));
    }
    return out;
  }

  async delete(ctx: RequestContext, id: string): Promise<void> {
    // An active lease hands its resources back first (instances deleted, hosts to the freepool), outside the
    // transaction and idempotently: if that fails, nothing is deleted and the request can be repeated. So does
    // a lease in ERROR: a start or end that failed half-way may have left resources in the cloud.
    const before = this.visible(ctx, await this.repos.leases.get(id), id, 'climate:leases:delete');
    if (before.status === 'ACTIVE' || before.status === 'ERROR') {
      for (const reservation of await this.repos.reservations.listByLeases([id])) {
        if (reservation.status === 'deleted') continue;
        if (!actsOn('onEnd', reservation.params)) {
          logSkippedAction(this.deps.logger, 'onEnd', before, reservation);
          continue;
        }
        await this.plugin(reservation.resourceType).onEnd({ lease: before, reservation });
      }
    }
    const trustId = await this.deps.db.transaction(async (tx) => {
      const lease = this.visible(ctx, await this.repos.leases.getForUpdate(tx, id), id, 'climate:leases:delete');
      if (BUSY.includes(lease.status)) throw new InvalidState(`Lease ${id} is ${lease.status}; try again when that is finished`);
      const [reservations, events] = await Promise.all([
        this.repos.reservations.listByLeases([id], tx), this.repos.events.listByLeases([id], tx)]);
      // A lease deleted before its end is over too: the enforcement service hears so (as in Blazar), with the
      // resources it held, so it is queued before they are released.
      if (lease.status !== 'TERMINATED') await this.deps.enforcement?.queueOnEnd(tx, lease, reservations, this.deps.clock.now());
      for (const r of reservations) await this.plugin(r.resourceType).release(tx, r);
      // Its usage until now is kept (a lease that had not started held nothing).
      await this.repos.usage.recordLease(tx, id, this.deps.clock.now());
      const rendered = renderLease(lease, reservations, events, this.deps.plugins);
      await this.repos.leases.delete(tx, id);
      await this.deps.notifier.emit(tx, 'lease.delete', rendered, { leaseId: id });
      return lease.trustId;
    });
    this.deps.logger.info(`lease ${id} deleted`, { lease_id: id });
    if (trustId) await this.deps.trusts?.release(trustId, ctx);
  }

  /**
   * The trust an update needs, created now (before its transaction, as at create), or null. Only a change that
   * makes a lease without a trust need one does: e.g. `on_start` of a volume reservation from `none` to `create`.
   * A lease that needed one before the change and has none (made without a token to delegate, in noauth mode)
   * is left as it is: it still works with the service token. The trust is the caller's, so only the lease's
   * owner can make that change (an admin's trust would make the stack or volumes theirs).
   */
  private async trustForUpdate(ctx: RequestContext, id: string, body: Body): Promise<string | null> {
    if (!this.deps.trusts || !ctx.authToken || !Array.isArray(body.reservations)) return null;
    const lease = this.visible(ctx, await this.repos.leases.get(id), id, 'climate:leases:put');
    if (lease.trustId) return null;
    const reservations = await this.repos.reservations.listByLeases([id]);
    const changes = body.reservations as unknown[];
    const after = reservations.map((r): TrustSubject => {
      const change = changes.find((c): c is Body => typeof c === 'object' && c !== null && (c as Body).id === r.id);
      return { resourceType: r.resourceType, params: change ? { ...r.params, ...change } : r.params };
    });
    if (needsOwnerTrust(this.deps.plugins, reservations) || !needsOwnerTrust(this.deps.plugins, after)) return null;
    if (ctx.userId !== lease.userId) {
      throw new InvalidState(`This change makes lease ${id} act in the cloud as its owner, which needs a Keystone trust `
        + `from them: only its owner (user ${lease.userId}) can make it`);
    }
    return this.deps.trusts.createForLease(ctx, lease.projectId);
  }

  /** Renders leases with their reservations and events: three queries for any number of leases. */
  async render(leases: readonly LeaseRecord[], tx?: Tx): Promise<LeaseView[]> {
    const ids = leases.map((l) => l.id);
    const [reservations, events] = await Promise.all([
      this.repos.reservations.listByLeases(ids, tx), this.repos.events.listByLeases(ids, tx)]);
    return renderLeases(leases, reservations, events, this.deps.plugins);
  }

  /**
   * A lease the caller may see, then `rule` checked against the lease's own project and user. Another project's
   * lease is reported as not found, not as forbidden.
   */
  private visible(ctx: RequestContext, lease: LeaseRecord | null, id: string, rule: string): LeaseRecord {
    if (!lease || (!ctx.isAdmin && lease.projectId !== ctx.projectId)) throw new NotFound('lease', id);
    this.authorize(ctx, rule, { project_id: lease.projectId, user_id: lease.userId });
    return lease;
  }

  private authorize(ctx: RequestContext, rule: string, target: Readonly<Record<string, unknown>>): void {
    this.deps.policy?.enforce(ctx, rule, target);
  }

  private async checkNameFree(tx: Tx, name: string, projectId: string, exceptId: string | null): Promise<void> {
    const same = await this.repos.leases.findByName(name, projectId, tx);
    if (same.some((l) => l.id !== exceptId)) throw new Conflict('lease_name_exists', `A lease named "${name}" already exists in this project`);
  }

  /** Runs a write transaction, turning a lost race on the unique name into the same 409 as the check. */
  private async inTransaction<T>(fn: (tx: Tx) => Promise<T>, name?: string): Promise<T> {
    try {
      return await this.deps.db.transaction(fn);
    } catch (error) {
      if (isUniqueViolation(error)) throw new Conflict('lease_name_exists', `A lease named "${name}" already exists in this project`);
      throw error;
    }
  }

  private planEvents(lease: LeaseRecord, now: Date) {
    return planLeaseEvents({
      start: lease.startDate, end: lease.endDate, beforeEnd: lease.beforeEndDate, beforeStart: lease.beforeStartDate,
      minutesBeforeEnd: this.options.minutesBeforeEndLease, minutesBeforeStart: this.options.minutesBeforeStartLease, now,
    });
  }

  /** User-defined events (`{"event_type": .., "event_date"|"time": ..}`): they only send a notification. */
  private userEvents(raw: unknown, now: Date): { eventType: string; time: Date }[] {
    if (raw == null) return [];
    if (!Array.isArray(raw)) throw new InvalidInput('Invalid input for field/attribute events: expected a list');
    return raw.map((e: Body, i) => {
      const type = e?.event_type;
      if (typeof type !== 'string' || !/^[A-Za-z0-9_.-]{1,60}$/.test(type)) {
        throw new InvalidInput(`Invalid input for field/attribute events[${i}].event_type: letters, digits, "_", "." or "-", at most 60`);
      }
      if (OWN_EVENT_TYPES.has(type) || type === UPDATE_LEASE) {
        throw new InvalidInput(`events[${i}]: ${type} is planned by the service and cannot be added`);
      }
      const when = e.event_date ?? e.time;
      if (when == null) throw new InvalidInput(`Missing parameter events[${i}].event_date`);
      return { eventType: type, time: parseLeaseDate(when, now) };
    });
  }

  /** Reservation changes of a PUT by reservation id; an id of another lease is a 404. */
  private reservationChanges(raw: unknown, reservations: readonly ReservationRecord[]): Map<string, Body> {
    const changes = new Map<string, Body>();
    if (raw == null) return changes;
    if (!Array.isArray(raw)) throw new InvalidInput('Invalid input for field/attribute reservations: expected a list');
    for (const [i, item] of (raw as Body[]).entries()) {
      const { id, resource_type: type, ...rest } = item ?? {};
      if (typeof id !== 'string') throw new InvalidInput(`Missing parameter reservations[${i}].id`);
      const existing = reservations.find((r) => r.id === id);
      if (!existing) throw new NotFound('reservation', id);
      if (type !== undefined && type !== existing.resourceType) {
        throw new InvalidInput(`reservations[${i}]: resource_type cannot change (${existing.resourceType})`);
      }
      changes.set(id, rest);
    }
    return changes;
  }

  /** Brings the lease's own events in line with its (new) dates; user events stay as they are. */
  private async moveEvents(tx: Tx, lease: LeaseRecord, events: readonly EventRecord[], now: Date): Promise<EventRecord[]> {
    const planned = this.planEvents(lease, now);
    const result: EventRecord[] = [];
    for (const event of events) {
      if (!OWN_EVENT_TYPES.has(event.eventType)) { result.push(event); continue; }
      const plan = planned.find((p) => p.eventType === event.eventType);
      if (!plan) {
        if (event.status === 'UNDONE') { await this.repos.events.delete(tx, event.id); continue; }
        result.push(event);
        continue;
      }
      if (plan.time.getTime() !== event.time.getTime()) {
        await this.repos.events.reschedule(tx, event.id, plan.time, now);
        const rerun = plan.time > now && event.status !== 'IN_PROGRESS';
        result.push({ ...event, time: plan.time, updatedAt: now, ...(rerun ? { status: 'UNDONE' as const, attempts: 0 } : {}) });
      } else {
        result.push(event);
      }
    }
    for (const plan of planned) {
      if (events.some((e) => e.eventType === plan.eventType)) continue;
      const event: EventRecord = {
        id: randomUUID(), leaseId: lease.id, eventType: plan.eventType, sequence: EVENT_SEQUENCE[plan.eventType],
        time: plan.time, status: 'UNDONE', claimedBy: null, claimExpiresAt: null, attempts: 0, lastError: null,
        createdAt: now, updatedAt: null,
      };
      await this.repos.events.insert(tx, event);
      result.push(event);
    }
    return result.sort((a, b) => a.time.getTime() - b.time.getTime() || a.sequence - b.sequence);
  }
}
