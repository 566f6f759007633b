import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { LogThrottle, type Clock, type Logger } from '../common';
import type { EventRecord, Repositories } from '../db';
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

  /** Lets running events finish (up to `graceMs`), then releases this manager's claims. */
  async stop(graceMs = 30_000): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.sleeper.wake();
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([Promise.all([this.loop, ...this.inFlight]), timeout]);
    const released = await this.repos.events.releaseClaims(this.owner, this.clock.now());
    if (released) this.logger.warning(`released ${released} unfinished event claim(s) on stop`);
  }

  /** One pass: claims and runs what is due; resolves when those events are done (tests, benchmarks). */
  async runDueOnce(): Promise<number> {
    const ids = await this.repos.events.findRunnable(this.clock.now(), this.concurrency * 4);
    let ran = 0;
    for (const id of ids) {
      if (!this.running && this.loop) break;
      while (this.inFlight.size >= this.concurrency) await Promise.race(this.inFlight);
      if (!(await this.claim(id))) continue;
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

  private claim(id: string): Promise<boolean> {
    const now = this.clock.now();
    return this.repos.events.claim(id, this.owner, now, new Date(now.getTime() + this.options.claimMs));
  }

  private async execute(id: string): Promise<void> {
    const event = await this.repos.events.get(id);
    if (!event) return;
    // Renew the claim while hooks run, so a slow cloud call does not let another manager start the event too.
    const heartbeat = setInterval(() => {
      void this.repos.events.extendClaim(id, this.owner, new Date(this.clock.now().getTime() + this.options.claimMs))
        .catch((error) => this.logger.warning('could not extend event claim', { event_id: id, error: String(error) }));
    }, Math.max(1000, this.options.claimMs / 3));
    heartbeat.unref();
    try {
      await this.lifecycle.run(event, (tx) => this.repos.events.finish(tx, id, this.owner, { status: 'DONE', now: this.clock.now() }));
    } catch (error) {
      await this.failed(event, error);
    } finally {
      clearInterval(heartbeat);
    }
  }

  private async failed(event: EventRecord, error: unknown): Promise<void> {
    const message = error instanceof Error ? error.message : String(error);
    const attempt = event.attempts + 1;
    const now = this.clock.now();
    if (attempt > this.options.maxRetries) {
      const reason = `${event.eventType} failed after ${attempt} attempt(s): ${message}`;
      this.logger.error(`event ${event.id} of lease ${event.leaseId} failed for good`, { error: message });
      await this.lifecycle.fail(event.leaseId, reason, (tx) =>
        this.repos.events.finish(tx, event.id, this.owner, { status: 'ERROR', now, error: message }));
      return;
    }
    const delay = this.options.retryDelayMs * 2 ** (attempt - 1);
    this.logger.warning(`event ${event.eventType} of lease ${event.leaseId} failed (attempt ${attempt}); retrying in ${delay} ms`,
      { error: message });
    await this.repos.events.finish(undefined, event.id, this.owner, {
      status: 'UNDONE', now, error: message, retryAt: new Date(now.getTime() + delay),
    });
  }
}
