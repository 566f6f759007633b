/** Notifications in OpenStack's format, written to an outbox with the change and dispatched by the manager. */
export { Notifier } from './notifier';
export { NotificationDispatcher, type DispatcherOptions } from './dispatcher';
export { wrapOsloV2, notificationTimestamp, type Notification, type Priority } from './envelope';
export type { NotificationDriver } from './drivers/types';
export { LogDriver, NoopDriver } from './drivers/log';
export { StompDriver, ExchangeMissingError, notificationDestination, type StompDriverOptions } from './drivers/stomp';
