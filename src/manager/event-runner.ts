import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { LogThrottle, requestScope, withDeadline, type Clock, type Logger } from '../common';
import { DatabaseUnavailable, isDatabaseUnavailable, type EventRecord, type Repositories, type Tx } from '../db';
import type { LeaseLifecycle, LoadedLease } from '../leases';
import { WakeableSleep } from './wakeable-sleep';

export interface EventRunnerOptions {
  /**
   * Longest sleep between two looks at the database's next due time: how long an earlier event committed by
   * another process (an API, another manager) may go unseen. The look is one MIN() over an index.
   */
  pollIntervalMs: number;
  /** How long a claim holds; a manager that dies loses its events to others after this. */
  claimMs: number;
  /** Attempts after the first before an event is given up as ERROR. */
  maxRetries: number;
  /** First retry delay; doubles with each attempt. */
  retryDelayMs: number;
  /** Events run at once by this manager. */
  concurrency?: number;
  /**
   * How far ahead of their due time events are claimed and read (their lease and reservations), so that at the
   * due time only the lifecycle's own transaction is left to run. Default 1.5 s; at most a quarter of the claim.
   * 0 claims events only once due.
   */
  lookaheadMs?: number;
  /** Most events claimed ahead and waiting for their time at once (default 4 × concurrency). */
  maxAhead?: number;
  /** Identity written into claims (default: host, pid and a random suffix). */
  owner?: string;
  /** Told how each event run ended (the manager's metrics). */
  observer?: EventRunObserver;
  /** Called once an event's outcome (and the notification it wrote) is committed: the dispatch sends it at once. */
  afterEvent?: () => void;
}

/** An event claimed ahead, with its lease and reservations as read then. */
interface Ready {
  event: EventRecord;
  loaded?: LoadedLease;
  /** When the claim was taken (ms): one that waited long for a free slot is renewed before the event runs. */
  claimedAt: number;
}

/** What happened to one run of an event, for counters (see manager/metrics.ts). */
export interface EventRunObserver {
  /** The event completed (DONE); `latenessSeconds` from its due time to now. */
  done(eventType: string, latenessSeconds: number): void;
  /** The run failed and the event will be retried. */
  retried(eventType: string): void;
  /** The run failed and the event was given up (ERROR). */
  failed(eventType: string): void;
}

/**
 * Runs lease events when they are due. A timer is set to the next due time the database holds (re-armed by a
 * wake-up from this process, or by the next look at the database, at most `pollIntervalMs` away, which sees
 * events other processes committed); when it fires, the due events are claimed together with one conditional
 * UPDATE so that each runs once across managers, and run at once, up to `concurrency` side by side, each as soon
 * as a slot is free. Claims are kept alive while their events run; failures are retried with exponential backoff.
 */
export class EventRunner {
  readonly owner: string;
  private readonly sleeper = new WakeableSleep();
  private running = false;
  private loop: Promise<void> | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  /** Events whose claim this manager holds in the database (taken, not yet finished or released). */
  private readonly held = new Set<string>();
  /** With the database down the loop fails every poll: logged once a minute, with a count. */
  private readonly loopFailures = new LogThrottle();
  private readonly concurrency: number;
  private readonly lookaheadMs: number;
  private readonly maxAhead: number;
  /** Events claimed ahead, waiting for their due time: their timer and what was read for them. */
  private readonly armed = new Map<string, { timer: NodeJS.Timeout; ready: Ready }>();
  /** Armed events whose time came while every slot was busy, in due order. */
  private readonly queued: Ready[] = [];

  constructor(
    private readonly repos: Repositories,
    private readonly lifecycle: LeaseLifecycle,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: EventRunnerOptions,
  ) {
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.concurrency = options.concurrency ?? 8;
    this.lookaheadMs = Math.max(0, Math.min(options.lookaheadMs ?? 1500, options.claimMs / 4));
    this.maxAhead = options.maxAhead ?? 4 * this.concurrency;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Something changed (a lease created or moved in this process): look again now. */
  wake(): void {
    this.sleeper.wake();
  }

  /**
   * Lets running events finish (up to `graceMs`), then releases this manager's claims so that another manager
   * takes them at once. Never throws: with the database unreachable (or not answering within `releaseTimeoutMs`)
   * the claims stay until they expire, and the returned sentences say so (empty when everything was released):
   * the caller logs them.
   */
  async stop(graceMs = 30_000, releaseTimeoutMs = 10_000): Promise<string[]> {
    if (!this.running) return [];
    this.running = false;
    this.sleeper.wake();
    // Events claimed ahead and not started are given back with the other claims below.
    for (const { timer } of this.armed.values()) clearTimeout(timer);
    this.armed.clear();
    this.queued.length = 0;
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
    // Settled, not all-fulfilled: an event that failed because the database went away must not end the stop.
    await Promise.race([Promise.allSettled([this.loop, ...this.inFlight]), timeout]);
    // Nothing claimed, nothing to release: no need to reach a database that may be gone.
    if (this.held.size === 0) return [];
    const count = this.held.size;
    try {
      const released = await withDeadline(this.repos.events.releaseClaims(this.owner, this.clock.now()), releaseTimeoutMs);
      if (released) this.logger.warning(`released ${released} unfinished event claim(s) on stop`);
      this.held.clear();
      return [];
    } catch (error) {
      // Returned, not logged: the process reports everything its stop left undone together.
      const ids = [...this.held];
      const shown = ids.length > 5 ? `${ids.slice(0, 5).join(', ')} and ${ids.length - 5} more` : ids.join(', ');
      return [`could not release ${count} event claim(s): ${databaseProblem(error)}; another manager runs them once their `
        + `claims expire ([manager] event_claim_seconds); events: ${shown}`];
    }
  }

  /** Claims and runs everything due now; resolves when those events are done (tests, benchmarks). */
  async runDueOnce(): Promise<number> {
    let ran = 0;
    for (let contentions = 0; contentions < 100;) {
      while (this.inFlight.size >= this.concurrency) await Promise.race(this.inFlight);
      const { started, contended } = await this.startDue();
      ran += started;
      if (!started && !contended) break;
      contentions = started ? 0 : contentions + 1;
    }
    await Promise.all(this.inFlight);
    return ran;
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        const waitMs = await this.step();
        if (this.loopFailures.failing) {
          this.logger.info('event loop runs again', { failures_not_logged: this.loopFailures.reset() });
        }
        if (waitMs > 0 && this.running) await this.sleeper.sleep(waitMs);
      } catch (error) {
        this.loopFailures.error(this.logger, 'event loop error; retrying', { error: String(error) });
        await this.sleeper.sleep(this.options.pollIntervalMs);
      }
    }
  }

  /**
   * One look: the next due time first (one cheap query); if it has come, the due events are claimed and started.
   * Returns how long to sleep before the next look: until the next due time, never longer than the poll interval.
   * An event finishing wakes the loop (a free slot, and the lease's next event may now run).
   */
  private async step(): Promise<number> {
    if (this.inFlight.size >= this.concurrency) return this.options.pollIntervalMs;
    const next = await this.repos.events.nextWakeUp();
    const untilNext = next ? next.getTime() - this.clock.now().getTime() : Infinity;
    if (untilNext > 0 && untilNext <= this.lookaheadMs && this.armed.size < this.maxAhead) {
      const { claimed, contended } = await this.claimAhead();
      if (claimed > 0) return 0;
      if (contended) return 1;
      // Nothing to claim ahead (blocked behind an earlier event of its lease, or held by another manager).
      const now = this.clock.now();
      const ahead = await this.repos.events.nextWakeUp(new Date(now.getTime() + this.lookaheadMs));
      const until = ahead ? ahead.getTime() - now.getTime() - this.lookaheadMs : Infinity;
      return Math.max(1, Math.min(this.options.pollIntervalMs, until));
    }
    if (untilNext > 0) return Math.max(1, Math.min(this.options.pollIntervalMs, untilNext - (this.armed.size < this.maxAhead ? this.lookaheadMs : 0)));
    const { started, contended } = await this.startDue();
    if (started > 0) return 0;
    // Another manager was claiming the same events: what it leaves is free the moment it commits.
    if (contended) return 1;
    // Due but not startable: behind an earlier event of its lease that is still running (here or on another
    // manager). Sleep until the next thing that is really ahead; one of ours finishing wakes the loop sooner.
    const now = this.clock.now();
    const ahead = await this.repos.events.nextWakeUp(now);
    return Math.min(this.options.pollIntervalMs, ahead ? Math.max(1, ahead.getTime() - now.getTime()) : Infinity);
  }

  /** Claims what is due, as many as there are free slots, in one transaction, and starts running them. */
  private async startDue(): Promise<{ started: number; contended: boolean }> {
    const free = this.concurrency - this.inFlight.size;
    if (free <= 0 || (!this.running && this.loop)) return { started: 0, contended: false };
    const now = this.clock.now();
    const { claimed, contended } = await this.repos.events.claimDue(this.owner, now, new Date(now.getTime() + this.options.claimMs), free);
    let started = 0;
    for (const id of claimed) {
      if (this.held.has(id)) continue; // still running here (its claim had lapsed): once is enough
      this.held.add(id);
      started++;
      this.launch(id);
    }
    return { started, contended };
  }

  /**
   * Claims the events due within the look-ahead (up to `maxAhead` waiting), reads them with their leases and
   * reservations (three statements for all of them), and sets a timer to each one's due time. They stay claimed
   * (IN_PROGRESS) until then, so no other manager runs them; if this manager dies, the claims expire and another
   * takes them. What was read may be outdated by the due time: the lifecycle's writes are conditional on the
   * lease being unchanged and on the event still being due at that time, and `settle` looks again otherwise.
   */
  private async claimAhead(): Promise<{ claimed: number; contended: boolean }> {
    const room = this.maxAhead - this.armed.size;
    if (room <= 0 || !this.running) return { claimed: 0, contended: false };
    const now = this.clock.now();
    const { claimed, contended } = await this.repos.events.claimDue(this.owner, now,
      new Date(now.getTime() + this.options.claimMs), room, new Date(now.getTime() + this.lookaheadMs));
    const ids = claimed.filter((id) => !this.held.has(id));
    for (const id of ids) this.held.add(id);
    if (!ids.length) return { claimed: 0, contended };
    let events: EventRecord[];
    let leases: Map<string, LoadedLease>;
    try {
      events = await this.repos.events.getMany(ids);
      leases = await this.lifecycle.loadMany(events.map((e) => e.leaseId));
    } catch (error) {
      // Still claimed: they run once their claim expires, here or elsewhere; given back now if the database answers.
      await this.repos.events.releaseClaimsOf(ids, this.owner, this.clock.now()).then(() => ids.forEach((id) => this.held.delete(id)), () => {});
      throw error;
    }
    const found = new Set(events.map((e) => e.id));
    for (const id of ids) if (!found.has(id)) this.held.delete(id); // deleted with its lease meanwhile
    for (const event of events) {
      const ready: Ready = { event, loaded: leases.get(event.leaseId), claimedAt: now.getTime() };
      if (!this.running) break;
      const timer = setTimeout(() => this.due(ready), Math.max(0, event.time.getTime() - this.clock.now().getTime()));
      timer.unref();
      this.armed.set(event.id, { timer, ready });
    }
    return { claimed: events.length, contended };
  }

  /** An armed event's time has come: run it now, or as soon as a slot is free. */
  private due(ready: Ready): void {
    if (!this.running) return;
    // A timer may fire a fraction of a millisecond before the clock reads the due time: never run an event early.
    const early = ready.event.time.getTime() - this.clock.now().getTime();
    if (early > 0) {
      const timer = setTimeout(() => this.due(ready), early);
      timer.unref();
      this.armed.set(ready.event.id, { timer, ready });
      return;
    }
    this.armed.delete(ready.event.id);
    if (this.inFlight.size >= this.concurrency) {
      this.queued.push(ready);
      return;
    }
    this.launch(ready.event.id, ready);
  }

  /** Starts running a claimed event; when it ends, the next queued armed event (if any) takes its slot. */
  private launch(id: string, ready?: Ready): void {
    // An outcome that could not be written (the database gone): logged, the claim kept until stop() releases it or
    // it expires. Caught here, since nothing awaits a running event but stop() and runDueOnce().
    const job = this.execute(id, ready)
      .catch((error) => { this.loopFailures.error(this.logger, 'event loop error; retrying', { event_id: id, error: String(error) }); })
      .finally(() => {
        this.inFlight.delete(job);
        const next = this.running ? this.queued.shift() : undefined;
        if (next) this.launch(next.event.id, next);
        this.sleeper.wake();
      });
    this.inFlight.add(job);
  }

  /**
   * Runs one claimed event in a scope of its own: every line logged while it runs (plugins and OpenStack clients
   * included) carries the lease and event ids and a request id of its own, which is also the global request id
   * Nova and the other services see for the calls made for this run.
   */
  private execute(id: string, ready?: Ready): Promise<void> {
    return requestScope.run({ requestId: `req-${randomUUID()}`, eventId: id }, () => this.executeInScope(id, ready));
  }

  private async executeInScope(id: string, ready?: Ready): Promise<void> {
    const event = ready?.event ?? await this.repos.events.get(id);
    if (!event) {
      this.held.delete(id);
      return;
    }
    // Claimed ahead and kept waiting for a slot (slow hooks in every slot) until its claim is half gone: renewed
    // first, or left to the manager that took it once it expired.
    const now = this.clock.now().getTime();
    if (ready && now - ready.claimedAt > this.options.claimMs / 2
      && !(await this.repos.events.extendClaim(id, this.owner, new Date(now + this.options.claimMs)))) {
      this.held.delete(id);
      return;
    }
    const scope = requestScope.getStore();
    if (scope) scope.leaseId = event.leaseId;
    const lateSeconds = Math.max(0, (this.clock.now().getTime() - event.time.getTime()) / 1000);
    this.logger.info(`running ${event.eventType} of lease ${event.leaseId} (due ${event.time.toISOString()}, `
      + `${lateSeconds.toFixed(1)} s late, attempt ${event.attempts + 1})`);
    // Renew the claim while hooks run, so a slow cloud call does not let another manager start the event too.
    const heartbeat = setInterval(() => {
      void this.repos.events.extendClaim(id, this.owner, new Date(this.clock.now().getTime() + this.options.claimMs))
        .catch((error) => this.logger.warning('could not extend event claim', { event_id: id, error: String(error) }));
    }, Math.max(1000, this.options.claimMs / 3));
    heartbeat.unref();
    try {
      let finished = false;
      const finish = async (tx: Tx) => {
        finished = await this.repos.events.finish(tx, id, this.owner, { status: 'DONE', now: this.clock.now(), dueAt: event.time });
        return finished;
      };
      const outcome = await this.lifecycle.run(event, finish, ready?.loaded);
      if (outcome === 'stale' || !finished) {
        await this.settle(event);
      } else {
        this.options.observer?.done(event.eventType, Math.max(0, (this.clock.now().getTime() - event.time.getTime()) / 1000));
      }
    } catch (error) {
      await this.failed(event, error);
    } finally {
      clearInterval(heartbeat);
    }
    // Reached only when the outcome (done, retry or error) was written: the claim is given back.
    this.held.delete(id);
    this.options.afterEvent?.();
  }

  /**
   * The event did not complete as read: its lease changed since it was read, or the event is no longer ours at
   * that time. Looked at again: gone or taken over, nothing to do; moved to later, its claim is given back (it
   * runs at its new time); still due, it runs now with what the database holds.
   */
  private async settle(read: EventRecord): Promise<void> {
    const event = await this.repos.events.get(read.id);
    if (!event || event.status !== 'IN_PROGRESS' || event.claimedBy !== this.owner) return;
    const now = this.clock.now();
    if (event.time > now) {
      await this.repos.events.finish(undefined, event.id, this.owner, { status: 'UNDONE', now });
      this.logger.info(`${event.eventType} of lease ${event.leaseId} moved to ${event.time.toISOString()} before it ran; `
        + 'it runs then');
      return;
    }
    let finished = false;
    await this.lifecycle.run(event, async (tx) => {
      finished = await this.repos.events.finish(tx, event.id, this.owner, { status: 'DONE', now: this.clock.now(), dueAt: event.time });
      return finished;
    });
    if (finished) this.options.observer?.done(event.eventType, Math.max(0, (this.clock.now().getTime() - event.time.getTime()) / 1000));
  }

  private async failed(event: EventRecord, error: unknown): Promise<void> {
    const message = error instanceof Error ? error.message : String(error);
    const attempt = event.attempts + 1;
    const now = this.clock.now();
    if (attempt > this.options.maxRetries) {
      const reason = `${event.eventType} failed after ${attempt} attempt(s): ${message}`;
      this.logger.error(`event ${event.eventType} of lease ${event.leaseId} failed for good`, { error: message });
      this.options.observer?.failed(event.eventType);
      await this.lifecycle.fail(event.leaseId, reason, (tx) =>
        this.repos.events.finish(tx, event.id, this.owner, { status: 'ERROR', now, error: message }));
      return;
    }
    const delay = this.options.retryDelayMs * 2 ** (attempt - 1);
    this.options.observer?.retried(event.eventType);
    this.logger.warning(`event ${event.eventType} of lease ${event.leaseId} failed (attempt ${attempt}); retrying in ${delay} ms`,
      { error: message });
    await this.repos.events.finish(undefined, event.id, this.owner, {
      status: 'UNDONE', now, error: message, retryAt: new Date(now.getTime() + delay),
    });
  }
}

/** The database error in the words an operator needs: unavailable (and what the driver said), or the error itself. */
function databaseProblem(error: unknown): string {
  if (!isDatabaseUnavailable(error) && !/no answer within/.test(String((error as Error)?.message))) {
    return error instanceof Error ? error.message : String(error);
  }
  const cause = error instanceof DatabaseUnavailable ? error.cause : error;
  return `database unavailable (${cause instanceof Error ? cause.message : String(cause)})`;
}
