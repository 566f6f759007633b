import type { Clock, Logger } from '../common';
import type { OutboxRepository } from '../db';
import type { NotificationDriver } from './drivers/types';
import { notificationTimestamp, type Notification, type Priority } from './envelope';

export interface DispatcherOptions {
  publisherId: string;
  batchSize?: number;
  /** First retry delay after a failed send; doubles per attempt up to maxRetryDelayMs. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
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

  /** Sends what is pending; returns how many were sent. */
  async dispatchOnce(): Promise<number> {
    const rows = await this.outbox.pending(this.batchSize);
    let sent = 0;
    for (const row of rows) {
      if (row.nextAttemptAt && row.nextAttemptAt > this.clock.now()) break;
      const notification: Notification = {
        message_id: row.messageId,
        publisher_id: this.options.publisherId,
        event_type: row.eventType,
        priority: row.priority as Priority,
        payload: JSON.parse(row.payload) as Record<string, unknown>,
        timestamp: notificationTimestamp(row.createdAt),
      };
      try {
        await this.driver.send(notification);
      } catch (error) {
        const delay = Math.min(this.maxRetryDelayMs, this.retryDelayMs * 2 ** row.attempts);
        await this.outbox.markFailed(row.id, new Date(this.clock.now().getTime() + delay));
        this.logger.warning(`could not send notification ${row.eventType}; retrying in ${delay} ms`, { error: String(error) });
        break;
      }
      await this.outbox.markSent([row.id], this.clock.now());
      sent++;
    }
    return sent;
  }
}
