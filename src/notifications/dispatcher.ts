import { requestScope, type Clock, type Logger } from '../common';
import type { OutboxRecord, OutboxRepository } from '../db';
import type { NotificationDriver } from './drivers/types';
import { notificationTimestamp, type Notification, type Priority } from './envelope';

export interface DispatcherOptions {
  publisherId: string;
  batchSize?: number;
  /** First retry delay after a failed send; doubles per attempt up to maxRetryDelayMs. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Sent notifications older than this are deleted (`[notifications] retention_hours`); 0 keeps them. */
  retentionHours?: number;
  /** How often `runOnce` prunes; default every 10 minutes. */
  pruneIntervalMs?: number;
}

/**
 * Sends outbox rows in id order and marks them sent once the driver has accepted them. A failure stops the
 * batch (so one lease's notifications never overtake each other) and schedules a retry with backoff.
 * Delivery is at least once: a crash between send and mark re-sends with the same message_id.
 */
export class NotificationDispatcher {
  private readonly batchSize: number;
  private readonly retryDelayMs: number;
  private readonly maxRetryDelayMs: number;
  private lastPruneAt: number | null = null;
  private checked = false;

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly driver: NotificationDriver,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: DispatcherOptions,
  ) {
    this.batchSize = options.batchSize ?? 100;
    this.retryDelayMs = options.retryDelayMs ?? 1000;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 60_000;
  }

  /** The manager's periodic job: sends what is pending, and now and then prunes what was sent long ago. */
  async runOnce(): Promise<number> {
    if (!this.checked) {
      // Say at start, not at the first lease, when the broker or its exchange is not there.
      this.checked = true;
      try {
        await this.driver.check?.();
      } catch (error) {
        this.logger.error(`notifications cannot be delivered yet (driver ${this.driver.name}): ${(error as Error).message}`);
      }
    }
    const sent = await this.dispatchOnce();
    const now = this.clock.now().getTime();
    if (this.lastPruneAt === null || now - this.lastPruneAt >= (this.options.pruneIntervalMs ?? 600_000)) {
      this.lastPruneAt = now;
      await this.prune();
    }
    return sent;
  }

  /** Deletes notifications sent more than `retentionHours` ago; returns how many. */
  async prune(): Promise<number> {
    const hours = this.options.retentionHours ?? 0;
    if (hours <= 0) return 0;
    const pruned = await this.outbox.pruneSentBefore(new Date(this.clock.now().getTime() - hours * 3_600_000));
    if (pruned) this.logger.debug(`pruned ${pruned} notification(s) sent more than ${hours} hour(s) ago`);
    return pruned;
  }

  /**
   * Sends what is pending, in id order; returns how many were sent. The first notification of a pass is sent on
   * its own (it finds out whether the broker takes them); once it is, the rest of the batch is written to the
   * connection one after the other without waiting for each receipt in between, and the receipts are awaited
   * together. Those sent are marked sent with one statement: up to the first failure, which is retried with
   * backoff; the ones after it are sent again later, with the same message_id (at least once, as after a crash
   * between send and mark). Over one broker connection an error ends the connection, so what follows a failed
   * send fails too, and a lease's notifications do not overtake each other.
   */
  async dispatchOnce(): Promise<number> {
    const rows = await this.outbox.pending(this.batchSize);
    const now = this.clock.now();
    // A row waiting for its retry time holds back every later one.
    const waiting = rows.findIndex((row) => row.nextAttemptAt && row.nextAttemptAt > now);
    const ready = waiting < 0 ? rows : rows.slice(0, waiting);
    if (!ready.length) return 0;
    const failed = await this.send(ready[0]);
    const outcomes = failed ? [failed] : [undefined, ...await Promise.all(ready.slice(1).map((row) => this.send(row)))];
    const firstFailure = outcomes.findIndex((outcome) => outcome !== undefined);
    const sent = firstFailure < 0 ? ready : ready.slice(0, firstFailure);
    await this.outbox.markSent(sent.map((row) => row.id), this.clock.now());
    if (firstFailure >= 0) {
      const row = ready[firstFailure];
      const delay = Math.min(this.maxRetryDelayMs, this.retryDelayMs * 2 ** row.attempts);
      await this.outbox.markFailed(row.id, new Date(this.clock.now().getTime() + delay));
      requestScope.run(row.leaseId ? { leaseId: row.leaseId } : {}, () => this.logger.warning(
        `could not send notification ${row.eventType}; retrying in ${delay} ms`, { message_id: row.messageId, error: String(outcomes[firstFailure]) }));
    }
    return sent.length;
  }

  /** Sends one outbox row; resolves with the error when it could not be sent (never rejects). */
  private async send(row: OutboxRecord): Promise<unknown> {
    const notification: Notification = {
      message_id: row.messageId,
      publisher_id: this.options.publisherId,
      event_type: row.eventType,
      priority: row.priority as Priority,
      payload: JSON.parse(row.payload) as Record<string, unknown>,
      timestamp: notificationTimestamp(row.createdAt),
    };
    // The driver's lines and ours name the lease the notification is about, and the notification.
    const scope = row.leaseId ? { leaseId: row.leaseId } : {};
    try {
      await requestScope.run(scope, () => this.driver.send(notification));
    } catch (error) {
      return error ?? new Error('send failed');
    }
    requestScope.run(scope, () => this.logger.debug(`sent notification ${row.eventType}`, { message_id: row.messageId }));
    return undefined;
  }
}
