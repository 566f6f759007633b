import type { Notification } from '../envelope';

/** Where notifications go. `send` resolves only once the transport has accepted the message. */
export interface NotificationDriver {
  readonly name: string;
  send(notification: Notification): Promise<void>;
  close(): Promise<void>;
}
