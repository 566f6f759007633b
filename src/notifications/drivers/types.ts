import type { Notification } from '../envelope';

/** Where notifications go. `send` resolves only once the transport has accepted the message. */
export interface NotificationDriver {
  readonly name: string;
  send(notification: Notification): Promise<void>;
  /**
   * Whether notifications can be delivered (broker reachable, exchange there), without sending any; rejects
   * with what is wrong, in words an operator can act on. The dispatcher calls it once, when it starts.
   */
  check?(): Promise<void>;
  close(): Promise<void>;
}
