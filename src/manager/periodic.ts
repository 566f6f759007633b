import { randomUUID } from 'node:crypto';
import { requestScope, type Logger } from '../common';
import { WakeableSleep } from './wakeable-sleep';

/** A job run every `intervalMs` (and at once on `wake()`), never overlapping itself; each pass in a request scope of its own. */
export class PeriodicJob {
  private readonly sleeper = new WakeableSleep();
  private running = false;
  private loop: Promise<void> | null = null;

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
        } catch (error) {
          this.logger.error(`periodic job ${this.name} failed`, { error: String(error) });
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
