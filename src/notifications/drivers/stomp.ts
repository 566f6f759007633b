import type { Logger } from '../../common';
import { wrapOsloV2, type Notification, type Priority } from '../envelope';
import { BrokerError, ConnectionLost, DEFAULT_CONNECTION_OPTIONS, type ConnectionOptions, type StompConnection } from '../stomp/connection';
import { BrokerList } from '../stomp/failover';
import { parseStompUrls, TransportUrlError } from '../stomp/url';
import type { NotificationDriver } from './types';

export interface StompDriverOptions {
  /** `[notifications] transport_url`: one stomp:// URL, or several separated by commas (failover). */
  transportUrl: string;
  /** `[notifications] exchange`. */
  exchange: string;
  /** `[notifications] topics`. */
  topics: readonly string[];
  logger: Logger;
  connection?: Partial<ConnectionOptions>;
}

/** The STOMP destination oslo.messaging consumers read: exchange, routing key `<topic>.<priority>`. */
export function notificationDestination(exchange: string, topic: string, priority: Priority | string): string {
  return `/exchange/${exchange}/${topic}.${priority.toLowerCase()}`;
}

/** Headers of every notification message: JSON, so that oslo.messaging (kombu) decodes the envelope. */
const MESSAGE_HEADERS = { 'content-type': 'application/json', persistent: 'true' };

/** The exchange is not there: said in words an operator can act on. */
export class ExchangeMissingError extends Error {}

/**
 * Publishes notifications to a STOMP broker (RabbitMQ's STOMP plugin, or ActiveMQ) in the oslo.messaging v2
 * envelope, on `/exchange/<exchange>/<topic>.<priority>` for each topic, so that Ceilometer and any
 * oslo.messaging notification listener receive them as if a Python service had sent them.
 *
 * `send` resolves only once the broker's RECEIPT for every topic has arrived (RabbitMQ sends it after its
 * publisher confirm). The connection is made on first use, kept, checked with heart-beats, and made again
 * (trying the next broker of the list first) after it was lost; a failed send rejects, and the dispatcher
 * retries it with backoff. Each new connection first checks that the exchange exists: RabbitMQ's STOMP plugin
 * cannot create exchanges, and publishing to a missing one is refused.
 */
export class StompDriver implements NotificationDriver {
  readonly name = 'stomp';
  private readonly brokers: BrokerList;
  private connection: StompConnection | null = null;
  private connecting: Promise<StompConnection> | null = null;
  private exchangeMissing = false;

  constructor(private readonly options: StompDriverOptions) {
    try {
      const brokers = parseStompUrls(options.transportUrl);
      this.brokers = new BrokerList(brokers, { ...DEFAULT_CONNECTION_OPTIONS, ...options.connection });
    } catch (error) {
      if (error instanceof TransportUrlError) throw new Error(`[notifications] transport_url ${error.message}`, { cause: error });
      throw error;
    }
    if (!options.topics.length) throw new Error('[notifications] topics is empty: the stomp driver needs at least one topic');
    if (!/^[^/\s]+$/.test(options.exchange)) throw new Error(`[notifications] exchange "${options.exchange}" must be a name without "/" or spaces`);
  }

  destinations(priority: Priority | string): string[] {
    return this.options.topics.map((topic) => notificationDestination(this.options.exchange, topic, priority));
  }

  async send(notification: Notification): Promise<void> {
    const body = wrapOsloV2(notification);
    for (const destination of this.destinations(notification.priority)) {
      await this.sendOne(destination, body, true);
    }
  }

  /** Connects (if needed) and checks that the exchange exists, sending nothing; rejects with the reason. */
  async check(): Promise<void> {
    await this.connected();
  }

  async close(): Promise<void> {
    const connection = this.connection ?? (await this.connecting?.catch(() => null)) ?? null;
    this.connection = null;
    await connection?.close();
  }

  private async sendOne(destination: string, body: string, retryOnStale: boolean): Promise<void> {
    const reused = this.connection?.isOpen === true;
    const connection = await this.connected();
    try {
      await connection.send(destination, body, MESSAGE_HEADERS);
    } catch (error) {
      this.dropConnection(connection);
      if (error instanceof BrokerError && error.notFound) throw this.missingExchange(connection, error);
      if (error instanceof ConnectionLost) this.brokers.skipCurrent();
      // A connection that had been idle may have died unnoticed (broker restarted): one more try on a fresh one.
      if (retryOnStale && reused && error instanceof ConnectionLost) return this.sendOne(destination, body, false);
      throw new Error(`could not publish to ${destination}: ${(error as Error).message}`, { cause: error });
    }
  }

  private async connected(): Promise<StompConnection> {
    if (this.connection?.isOpen) return this.connection;
    this.connecting ??= this.openChecked().finally(() => { this.connecting = null; });
    return this.connecting;
  }

  private async openChecked(): Promise<StompConnection> {
    let connection: StompConnection;
    try {
      connection = await this.brokers.connect();
    } catch (error) {
      throw new Error(`cannot reach a STOMP broker (${this.brokers.labels}): ${(error as Error).message}`, { cause: error });
    }
    try {
      // Subscribing to an /exchange/ destination creates a temporary queue bound to it (removed again right
      // away), or makes RabbitMQ answer NOT_FOUND when the exchange does not exist. Nothing is published.
      const id = await connection.subscribe({ destination: `/exchange/${this.options.exchange}/climate.exchange-check` }, () => {});
      await connection.unsubscribe(id);
    } catch (error) {
      connection.destroy();
      if (error instanceof BrokerError && error.notFound) throw this.missingExchange(connection, error);
      throw new Error(`cannot check exchange "${this.options.exchange}" on ${connection.broker.label}: ${(error as Error).message}`, { cause: error });
    }
    if (this.exchangeMissing) this.options.logger.info(`exchange "${this.options.exchange}" exists now on ${connection.broker.label}; sending notifications`);
    this.exchangeMissing = false;
    this.connection = connection;
    void connection.ended.then((reason) => {
      if (this.connection !== connection) return; // dropped or closed here, after a failed send or by close()
      this.connection = null;
      if (reason) {
        this.brokers.skipCurrent();
        this.options.logger.warning(`connection to STOMP broker ${connection.broker.label} lost: ${reason.message}`);
      }
    });
    this.options.logger.info(`connected to STOMP broker ${connection.broker.label}; publishing to ${this.destinations('info').join(', ')} (and other priorities)`);
    return connection;
  }

  private dropConnection(connection: StompConnection): void {
    if (this.connection === connection) this.connection = null;
    if (connection.isOpen) connection.destroy();
  }

  /** The explanation of a missing exchange (the dispatcher logs it). */
  private missingExchange(connection: StompConnection, error: BrokerError): ExchangeMissingError {
    const x = this.options.exchange;
    const explained = new ExchangeMissingError(
      `exchange "${x}" does not exist on ${connection.broker.label} (${error.detail.trim() || error.brokerMessage}). `
      + 'A STOMP client cannot create an exchange: it is declared by its consumers (Ceilometer\'s notification agent '
      + `listening on the "${x}" exchange, or any oslo.messaging notification listener with Target(exchange="${x}")), `
      + `or by an operator, once, as a topic exchange, e.g. "rabbitmqadmin declare exchange name=${x} type=topic durable=true" `
      + '(durable=false if its consumers run with amqp_durable_queues = false). '
      + 'Notifications stay in the database and are sent once the exchange exists.');
    this.exchangeMissing = true;
    return explained;
  }
}
