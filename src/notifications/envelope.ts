/** OpenStack notifications as oslo.messaging listeners and Ceilometer read them. */

export type Priority = 'INFO' | 'WARN' | 'ERROR';

export interface Notification {
  message_id: string;
  publisher_id: string;
  event_type: string;
  priority: Priority;
  payload: Record<string, unknown>;
  /** UTC, `YYYY-MM-DD HH:MM:SS.ffffff`. */
  timestamp: string;
}

/** oslo.messaging's timestamp format. */
export function notificationTimestamp(d: Date): string {
  return `${d.toISOString().replace('T', ' ').replace('Z', '')}000`;
}

/** The "v2" wire envelope: the notification serialised as a string inside `oslo.message`. */
export function wrapOsloV2(notification: Notification): string {
  return JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify(notification) });
}
