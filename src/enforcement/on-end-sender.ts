import type { Clock, Logger } from '../common';
import type { EnforcementCallRepository } from '../db';
import type { UsageEnforcement } from './enforcement';

export interface OnEndSenderOptions {
  /** Attempts after the first before a call is given up ([manager] event_max_retries). */
  maxRetries: number;
  /** First retry delay, doubling per attempt ([manager] event_retry_delay). */
  retryDelayMs: number;
  /** How long a manager holds a call it is sending; another may take it over afterwards. */
  claimMs: number;
  batchSize?: number;
}

/**
 * The manager's periodic job that sends queued on-end calls. Each is claimed so it is sent by one manager at a
 * time, and a failure (no answer, an answer other than 204) is tried again with the backoff of lease events, then
 * given up with an error in the log and in the row. The lease's end committed long before: nothing here blocks it.
 */
export class OnEndSender {
  constructor(
    private readonly calls: EnforcementCallRepository,
    private readonly enforcement: UsageEnforcement,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: OnEndSenderOptions,
  ) {}

  /** Sends what is due; returns how many were accepted. */
  async runOnce(): Promise<number> {
    let sent = 0;
    for (const id of await this.calls.due(this.clock.now(), this.options.batchSize ?? 50)) {
      const call = await this.calls.claim(id, this.clock.now(), this.options.claimMs);
      if (!call) continue;
      const fields = { lease_id: call.leaseId };
      try {
        await this.enforcement.sendOnEnd(call.body);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const attempt = call.attempts + 1;
        const now = this.clock.now();
        if (attempt > this.options.maxRetries) {
          this.logger.error(`${call.kind} of lease ${call.leaseId} given up after ${attempt} attempt(s): ${message}`, fields);
          await this.calls.markFailed(call.id, message, now, null);
        } else {
          const delay = this.options.retryDelayMs * 2 ** (attempt - 1);
          this.logger.warning(`${call.kind} of lease ${call.leaseId} failed (attempt ${attempt}); retrying in ${delay} ms: ${message}`, fields);
          await this.calls.markFailed(call.id, message, now, new Date(now.getTime() + delay));
        }
        continue;
      }
      await this.calls.markSent(call.id, this.clock.now());
      this.logger.info(`${call.kind} of lease ${call.leaseId} sent to the usage enforcement service`, fields);
      sent++;
    }
    return sent;
  }
}
