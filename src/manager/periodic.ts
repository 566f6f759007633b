import { LogThrottle, type Logger } from '../common';
import { WakeableSleep } from './wakeable-sleep';

/** A job run every `intervalMs` (and at once on `wake()`), never overlapping itself. */
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
          await this.job();
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
