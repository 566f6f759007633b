import { randomUUID } from 'node:crypto';
import { LogThrottle, requestScope, type Logger } from '../common';
import { WakeableSleep } from './wakeable-sleep';

/** A job run every `intervalMs` (and at once on `wake()`), never overlapping itself; each pass in a request scope of its own. */
export class PeriodicJob {
  private readonly sleeper = new WakeableSleep();
  private running = false;
  private loop: Promise<void> | null = null;
  /** A job failing every run (the database down) logs once a minute, with a count. */
  private readonly failures = new LogThrottle();

  constructor(private readonly name: string, private readonly intervalMs: number, private readonly job: () => Promise<unknown>,
    private readonly logger: Logger) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        try {
          // Each pass has a request id of its own: its lines carry it, and so do the calls it makes to Nova.
          await requestScope.run({ requestId: `req-${randomUUID()}` }, () => this.job());
          const suppressed = this.failures.failing ? this.failures.reset() : -1;
          if (suppressed >= 0) this.logger.info(`periodic job ${this.name} runs again`, { failures_not_logged: suppressed });
        } catch (error) {
          this.failures.error(this.logger, `periodic job ${this.name} failed`, { error: String(error) });
        }
        if (this.running) await this.sleeper.sleep(this.intervalMs);
      }
    })();
  }

  wake(): void {
    this.sleeper.wake();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.sleeper.wake();
    await this.loop;
  }
}
