import type { Logger } from '../../common';
import type { Notification } from '../envelope';
import type { NotificationDriver } from './types';

/** Writes each notification to the log (the embedded default: visible, no broker needed). */
export class LogDriver implements NotificationDriver {
  readonly name = 'log';
  constructor(private readonly logger: Logger) {}
  async send(n: Notification): Promise<void> {
    this.logger.info(`notification ${n.event_type}`, { notification: n });
  }
  async close(): Promise<void> {}
}

/** Drops notifications. */
export class NoopDriver implements NotificationDriver {
  readonly name = 'noop';
  async send(): Promise<void> {}
  async close(): Promise<void> {}
}
