import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { LogThrottle, requestScope, withDeadline, type Clock, type Logger } from '../common';
import { DatabaseUnavailable, isDatabaseUnavailable, type EventRecord, type Repositories } from '../db';
import type { LeaseLifecycle } from '../leases';
import { WakeableSleep } from './wakeable-sleep';

export interface EventRunnerOptions {
  /** Longest sleep between two looks at the database (changes made by other processes). */
  pollIntervalMs: number;
  /** How long a claim holds; a manager that dies loses its events to others after this. */
  claimMs: number;
  /** Attempts after the first before an event is given up as ERROR. */
  maxRetries: number;
  /** First retry delay; doubles with each attempt. */
  retryDelayMs: number;
  /** Events run at once by this manager. */
  concurrency?: number;
  /** Identity written into claims (default: host, pid and a random suffix). */
  owner?: string;
  /** Told how each event run ended (the manager's metrics). */
  observer?: EventRunObserver;
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
 * Runs lease events when they are due. Sleeps until the next due time (or a wake-up from this process, or
 * the poll interval), claims each due event with a conditional UPDATE so that it runs once across managers,
 * keeps the claim alive while it runs, and retries failures with exponential backoff.
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

  constructor(
    private readonly repos: Repositories,
    private readonly lifecycle: LeaseLifecycle,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: EventRunnerOptions,
  ) {
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.concurrency = options.concurrency ?? 8;
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

  /** One pass: claims and runs what is due; resolves when those events are done (tests, benchmarks). */
  async runDueOnce(): Promise<number> {
    const ids = await this.repos.events.findRunnable(this.clock.now(), this.concurrency * 4);
    let ran = 0;
    for (const id of ids) {
      if (!this.running && this.loop) break;
      while (this.inFlight.size >= this.concurrency) await Promise.race(this.inFlight);
      let claimed: boolean;
      try {
        claimed = await this.claim(id);
      } catch (error) {
        // The database went away (e.g. its node died): the events already running finish or fail on their own.
        // Wait for them, so that a failure of theirs is observed here and not left an unhandled rejection (which
        // ends a Node process), then report the claim's failure.
        await Promise.allSettled(this.inFlight);
        throw error;
      }
      if (!claimed) continue;
      ran++;
      const job = this.execute(id).finally(() => this.inFlight.delete(job));
      this.inFlight.add(job);
    }
    await Promise.all(this.inFlight);
    return ran;
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        const ran = await this.runDueOnce();
        const next = ran > 0 ? null : await this.repos.events.nextWakeUp();
        if (this.loopFailures.failing) {
          this.logger.info('event loop runs again', { failures_not_logged: this.loopFailures.reset() });
        }
        if (ran > 0) continue; // more may be due, or unblocked by what just ran
        const untilNext = next ? next.getTime() - this.clock.now().getTime() : Infinity;
        await this.sleeper.sleep(Math.min(this.options.pollIntervalMs, Math.max(0, untilNext)));
      } catch (error) {
        this.loopFailures.error(this.logger, 'event loop error; retrying', { error: String(error) });
        await this.sleeper.sleep(this.options.pollIntervalMs);
      }
    }
  }

  private async claim(id: string): Promise<boolean> {
    const now = this.clock.now();
    const claimed = await this.repos.events.claim(id, this.owner, now, new Date(now.getTime() + this.options.claimMs));
    if (claimed) this.held.add(id);
    return claimed;
  }

  /**
   * Runs one claimed event in a scope of its own: every line logged while it runs (plugins and OpenStack clients
   * included) carries the lease and event ids and a request id of its own, which is also the global request id
   * Nova and the other services see for the calls made for this run.
   */
  private execute(id: string): Promise<void> {
    return requestScope.run({ requestId: `req-${randomUUID()}`, eventId: id }, () => this.executeInScope(id));
  }

  private async executeInScope(id: string): Promise<void> {
    const event = await this.repos.events.get(id);
    if (!event) {
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
      await this.lifecycle.run(event, (tx) => this.repos.events.finish(tx, id, this.owner, { status: 'DONE', now: this.clock.now() }));
      this.options.observer?.done(event.eventType, Math.max(0, (this.clock.now().getTime() - event.time.getTime()) / 1000));
    } catch (error) {
      await this.failed(event, error);
    } finally {
      clearInterval(heartbeat);
    }
    // Reached only when the outcome (done, retry or error) was written: the claim is given back.
    this.held.delete(id);
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
