import { randomUUID } from 'node:crypto';
import type { OutboxRepository, Tx } from '../db';
import type { Clock } from '../common';
import type { Priority } from './envelope';

/**
 * Records notifications in the outbox, inside the transaction of the change they announce, so that a
 * change and its notification commit (or roll back) together. The dispatcher sends them later.
 */
export class Notifier {
  constructor(private readonly outbox: OutboxRepository, private readonly clock: Clock) {}

  async emit(tx: Tx, eventType: string, payload: Record<string, unknown>, options: { leaseId?: string; priority?: Priority } = {}): Promise<void> {
    await this.outbox.add(tx, {
      messageId: randomUUID(),
      leaseId: options.leaseId ?? null,
      eventType,
      priority: options.priority ?? 'INFO',
      payload: JSON.stringify(payload),
      createdAt: this.clock.now(),
    });
  }
}
