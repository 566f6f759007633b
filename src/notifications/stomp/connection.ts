import type { BrokerAddress } from './url';
import { connect, type Headers, type StompitClient, type StompitError, type StompitIncomingFrame, type StompitMessage } from './stompit';

export interface ConnectionOptions {
  /** Heart-beat interval in both directions, ms (a broker URL's `?heartbeat=` wins); 0 disables. */
  heartbeatMs: number;
  /** Longest wait for TCP connect + CONNECTED. */
  connectTimeoutMs: number;
  /** Longest wait for a RECEIPT; the connection is dropped when it does not come (its state is unknown). */
  receiptTimeoutMs: number;
}

export const DEFAULT_CONNECTION_OPTIONS: ConnectionOptions = { heartbeatMs: 10_000, connectTimeoutMs: 5_000, receiptTimeoutMs: 15_000 };

/** An incoming message, its body read. */
export interface ReceivedMessage {
  headers: Record<string, string>;
  body: string;
  /** Settles it with the broker (client-individual ack mode). */
  ack(): void;
  /** Gives it back to the broker to be delivered again. */
  nack(): void;
}

/** An ERROR frame sent by the broker, e.g. `not_found: NOT_FOUND - no exchange 'climate' in vhost '/'`. */
export class BrokerError extends Error {
  constructor(readonly brokerMessage: string, readonly detail: string, readonly broker: string) {
    super(`broker ${broker} said: ${brokerMessage}${detail ? ` (${detail.trim()})` : ''}`);
  }

  /** RabbitMQ's way of saying the exchange (or queue) of a destination does not exist. */
  get notFound(): boolean {
    return /not_found/i.test(this.brokerMessage) || /NOT_FOUND/.test(this.detail);
  }
}

/** The connection ended or could not be made (refused, reset, heart-beats missed, timed out). */
export class ConnectionLost extends Error {}

/**
 * One STOMP session with one broker over stompit, with promises instead of callbacks: `send` and `subscribe`
 * resolve on the broker's RECEIPT, and every failure (ERROR frame, lost TCP connection, missed heart-beats, a
 * receipt that does not come) ends the connection and rejects what waits on it. `ended` tells when and why.
 */
export class StompConnection {
  /** Resolves once the connection is over: null after close(), otherwise the reason. */
  readonly ended: Promise<Error | null>;
  private endReason: Error | null | undefined = undefined;
  private resolveEnded!: (reason: Error | null) => void;
  private readonly waiting = new Set<(error: Error) => void>();
  private nextId = 1;
  private closing = false;

  private constructor(private readonly client: StompitClient, readonly broker: BrokerAddress, private readonly options: ConnectionOptions) {
    this.ended = new Promise((resolve) => { this.resolveEnded = resolve; });
    client.on('error', (error) => this.finish(this.translate(error)));
    client.on('end', () => this.finish(this.closing ? null : new ConnectionLost(`connection to ${broker.label} ended`)));
  }

  /** Connects and logs in; rejects with why (refused, bad credentials, timed out...). */
  static open(broker: BrokerAddress, options: ConnectionOptions = DEFAULT_CONNECTION_OPTIONS): Promise<StompConnection> {
    const heartbeat = broker.heartbeatMs ?? options.heartbeatMs;
    return new Promise((resolve, reject) => {
      let settled = false;
      const headers: Headers = { host: broker.vhost, 'heart-beat': `${heartbeat},${heartbeat}` };
      if (broker.login) headers.login = broker.login;
      if (broker.passcode) headers.passcode = broker.passcode;
      const client = connect({
        host: broker.host, port: broker.port, timeout: 0, ssl: broker.tls, connectHeaders: headers,
        // stompit drops the connection when nothing arrived for heart-beat + this margin: allow one missed beat.
        heartbeatDelayMargin: Math.max(heartbeat, 100),
      }, (error, connected) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) reject(describeConnectError(error, broker));
        else resolve(new StompConnection(connected, broker, options));
      });
      installSafeErrorHandler(client);
      // Until the connection is handed over, errors go to the callback above; keep one listener so a late error
      // (after a timeout) is never an unhandled 'error' event.
      client.on('error', () => {});
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        client.destroy(new ConnectionLost('timed out'));
        reject(new ConnectionLost(`cannot connect to ${broker.label}: no answer within ${options.connectTimeoutMs} ms`));
      }, options.connectTimeoutMs);
    });
  }

  get isOpen(): boolean {
    return this.endReason === undefined;
  }

  /** SEND with a receipt: resolves once the broker has taken responsibility for the message. */
  send(destination: string, body: string, headers: Headers = {}): Promise<void> {
    return this.withReceipt(`SEND to ${destination}`, (onReceipt) => {
      const frame = this.client.sendFrame('SEND', { ...headers, destination, 'content-length': Buffer.byteLength(body) }, { onReceipt });
      frame.write(body);
      frame.end();
    });
  }

  /**
   * SUBSCRIBE with a receipt; resolves with the subscription id once the broker has set it up (for RabbitMQ,
   * declared and bound its queue). Each message is read whole before `onMessage` sees it.
   */
  async subscribe(headers: Headers & { destination: string }, onMessage: (message: ReceivedMessage) => void): Promise<string> {
    const id = `sub-${this.nextId++}`;
    const ackMode = String(headers.ack ?? 'auto');
    this.client.setImplicitSubscription(id, ackMode, (error, message) => {
      if (error || !message) return; // the connection ended: `ended` says why
      message.readString('utf8', (readError, body) => {
        if (readError) return;
        onMessage({
          headers: message.headers,
          body: body ?? '',
          ack: () => { if (this.isOpen && ackMode !== 'auto') this.client.ack(message as StompitMessage); },
          nack: () => { if (this.isOpen && ackMode !== 'auto') this.client.nack(message as StompitMessage); },
        });
      });
    });
    await this.withReceipt(`SUBSCRIBE to ${headers.destination}`, (onReceipt) => {
      this.client.sendFrame('SUBSCRIBE', { ...headers, id, ack: ackMode }, { onReceipt }).end();
    });
    return id;
  }

  async unsubscribe(id: string): Promise<void> {
    await this.withReceipt(`UNSUBSCRIBE ${id}`, (onReceipt) => {
      this.client.sendFrame('UNSUBSCRIBE', { id }, { onReceipt }).end();
    });
  }

  /** Graceful DISCONNECT (waits for its receipt, a bounded time), then the socket is closed. */
  async close(): Promise<void> {
    if (!this.isOpen) return;
    this.closing = true;
    const timer = setTimeout(() => this.client.destroy(), Math.min(this.options.receiptTimeoutMs, 2000));
    this.client.disconnect();
    await this.ended;
    clearTimeout(timer);
  }

  /** Drops the connection at once. */
  destroy(reason: Error = new ConnectionLost('closed')): void {
    this.client.destroy(reason);
    this.finish(reason);
  }

  private withReceipt(what: string, act: (onReceipt: () => void) => void): Promise<void> {
    if (!this.isOpen) return Promise.reject(this.endReason ?? new ConnectionLost(`connection to ${this.broker.label} is closed`));
    return new Promise<void>((resolve, reject) => {
      const fail = (error: Error) => { clearTimeout(timer); this.waiting.delete(fail); reject(error); };
      const timer = setTimeout(() => {
        this.destroy(new ConnectionLost(`no receipt from ${this.broker.label} for ${what} within ${this.options.receiptTimeoutMs} ms`));
      }, this.options.receiptTimeoutMs);
      this.waiting.add(fail);
      act(() => { clearTimeout(timer); this.waiting.delete(fail); resolve(); });
    });
  }

  private finish(reason: Error | null): void {
    if (this.endReason !== undefined) return;
    this.endReason = reason;
    const error = reason ?? new ConnectionLost(`connection to ${this.broker.label} closed`);
    for (const fail of [...this.waiting]) fail(error);
    this.resolveEnded(reason);
  }

  private translate(error: StompitError): Error {
    if (error instanceof BrokerError || error instanceof ConnectionLost) return error;
    if (error.isApplicationError?.()) return new BrokerError(error.message, error.longMessage ?? '', this.broker.label);
    return new ConnectionLost(`connection to ${this.broker.label} lost: ${error.message}`);
  }
}

function describeConnectError(error: StompitError, broker: BrokerAddress): Error {
  if (error instanceof BrokerError || error instanceof ConnectionLost) return error;
  if (error.isApplicationError?.()) return new BrokerError(error.message, error.longMessage ?? '', broker.label);
  return new ConnectionLost(`cannot connect to ${broker.label}: ${error.message}`);
}

/**
 * stompit's own ERROR handler reads a text/plain body and then destroys the *frame* with the error, an
 * 'error' event nobody can listen to: the process would crash on the first ERROR the broker sends (an unknown
 * exchange, bad credentials). This handler reads the body and ends the connection with a BrokerError instead.
 */
function installSafeErrorHandler(client: StompitClient): void {
  const original = client.setCommandHandlers.bind(client);
  client.setCommandHandlers = (handlers) => original({ ...handlers, ERROR: onErrorFrame });
}

function onErrorFrame(this: StompitClient, frame: StompitIncomingFrame): void {
  const chunks: Buffer[] = [];
  frame.on('data', (chunk: Buffer) => chunks.push(chunk));
  frame.on('error', () => {});
  frame.on('end', () => {
    const error = this.createApplicationError(frame.headers.message ?? 'ERROR frame') as StompitError;
    error.longMessage = Buffer.concat(chunks).toString('utf8');
    this.destroy(error);
  });
}
