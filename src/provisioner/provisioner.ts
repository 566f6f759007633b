import { EventEmitter } from 'node:events';
import type { Logger } from '../common';
import { BrokerError, DEFAULT_CONNECTION_OPTIONS, type ConnectionOptions, type ReceivedMessage, type StompConnection } from '../notifications/stomp/connection';
import { BrokerList } from '../notifications/stomp/failover';
import { parseStompUrls, TransportUrlError } from '../notifications/stomp/url';
import { BEFORE_START_EVENT, END_EVENT, hostsOf, parseNotificationBody, templateValues, type HostTarget, type ReceivedNotification } from './notification';
import { runCommand } from './run-command';
import { parseCommandTemplate, renderCommand, TemplateError, type CommandTemplate } from './template';

export interface ProvisionerOptions {
  /** One stomp:// URL or several, comma-separated (failover). */
  transportUrl: string;
  exchange: string;
  topic: string;
  /** Durable queue bound to the exchange with routing key `<topic>.info`. */
  queue: string;
  /** Command templates; '' for none. */
  onBeforeStart: string;
  onEnd: string;
  concurrency: number;
  timeoutMs: number;
  retries: number;
  logger: Logger;
  /** First delay before a failed command runs again; doubles per attempt up to maxRetryDelayMs. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** First delay before connecting again after the broker was lost; doubles up to maxReconnectDelayMs. */
  reconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
  connection?: Partial<ConnectionOptions>;
}

/** How one host's command ended. */
export type HostOutcome = 'ok' | 'failed' | 'skipped' | 'aborted';

/** Emitted ('handled') once a notification has been dealt with and acknowledged. */
export interface HandledEvent {
  notification: ReceivedNotification;
  hook: 'on_before_start' | 'on_end' | null;
  outcomes: Record<string, HostOutcome>;
}

/** Which options a section's value came from, for error messages. */
const SECTION = '[provisioner]';

/**
 * climate-provisioner: listens to Climate's notifications and acts on hosts. On lease.event.before_start_lease
 * it runs `on_before_start` once per host of each host reservation (e.g. IPMI power-on), on
 * lease.event.end_lease `on_end`, with at most `concurrency` commands at a time, each killed after `timeout`
 * and run again up to `retries` times.
 *
 * It reads a durable queue (`queue`) that it binds to the notification exchange with routing key
 * `<topic>.info` through RabbitMQ's STOMP plugin (SUBSCRIBE to /exchange/<exchange>/<topic>.info with
 * `x-queue-name`, `durable: true`, `auto-delete: false`), so notifications sent while it is down wait for it,
 * and several provisioners with the same queue share the work. A message is acknowledged once its commands
 * are done (succeeded or given up); one whose handling was cut short (stop, lost connection) is delivered
 * again. Climate sends at least once: a notification seen before (same message_id) is not acted on twice.
 */
export class Provisioner extends EventEmitter {
  private readonly brokers: BrokerList;
  private readonly before: CommandTemplate | null;
  private readonly end: CommandTemplate | null;
  private readonly slots: Slots;
  private readonly stopping = new AbortController();
  private loop: Promise<void> | null = null;
  private connection: StompConnection | null = null;
  private subscribed!: () => void;
  private readonly firstSubscription = new Promise<void>((resolve) => { this.subscribed = resolve; });
  private readonly leaseChains = new Map<string, Promise<unknown>>();
  private readonly inFlight = new Map<string, Promise<boolean>>();
  private readonly done = new Recent<string, true>(10_000);
  private readonly knownHosts = new Recent<string, HostTarget[]>(10_000);

  constructor(private readonly options: ProvisionerOptions) {
    super();
    try {
      this.brokers = new BrokerList(parseStompUrls(options.transportUrl), { ...DEFAULT_CONNECTION_OPTIONS, ...options.connection });
    } catch (error) {
      if (error instanceof TransportUrlError) throw new Error(`${SECTION} transport_url ${error.message}`, { cause: error });
      throw error;
    }
    this.before = template('on_before_start', options.onBeforeStart);
    this.end = template('on_end', options.onEnd);
    if (!this.before && !this.end) throw new Error(`${SECTION} on_before_start and on_end are both empty: there is nothing to do`);
    for (const [name, value] of [['exchange', options.exchange], ['topic', options.topic], ['queue', options.queue]]) {
      if (!/^[^/\s]+$/.test(value)) throw new Error(`${SECTION} ${name} "${value}" must be a name without "/" or spaces`);
    }
    this.slots = new Slots(options.concurrency);
  }

  get destination(): string {
    return `/exchange/${this.options.exchange}/${this.options.topic}.info`;
  }

  /** Connects and subscribes, and keeps doing so until stop(). */
  start(): void {
    this.loop ??= this.run();
  }

  /** Resolves once the queue is bound and read for the first time. */
  whenSubscribed(): Promise<void> {
    return this.firstSubscription;
  }

  /**
   * Stops: running commands are killed, their notifications are not acknowledged (the broker delivers them
   * again, to this provisioner when it is back or to another one on the same queue), then disconnects.
   */
  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.allSettled([...this.inFlight.values()]);
    await this.connection?.close();
    await this.loop;
  }

  private get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  private async run(): Promise<void> {
    const { logger } = this.options;
    const first = this.options.reconnectDelayMs ?? 1000;
    const max = this.options.maxReconnectDelayMs ?? 30_000;
    let delay = first;
    const retryLater = async (message: string, level: 'warning' | 'error') => {
      logger[level](`${message}; trying again in ${seconds(delay)}`);
      await sleep(delay, this.stopping.signal);
      delay = Math.min(max, delay * 2);
    };
    while (!this.stopped) {
      let connection: StompConnection;
      try {
        connection = await this.brokers.connect();
      } catch (error) {
        await retryLater(`cannot reach a STOMP broker (${this.brokers.labels}): ${(error as Error).message}`, 'warning');
        continue;
      }
      if (this.stopped) {
        await connection.close();
        break;
      }
      try {
        await connection.subscribe({
          destination: this.destination,
          'x-queue-name': this.options.queue,
          durable: 'true',
          'auto-delete': 'false',
          ack: 'client-individual',
          'prefetch-count': String(Math.max(10, this.options.concurrency * 2)),
        }, (message) => this.onMessage(message));
      } catch (error) {
        connection.destroy();
        const missing = error instanceof BrokerError && error.notFound;
        await retryLater(missing
          ? `exchange "${this.options.exchange}" does not exist on ${connection.broker.label}, so queue "${this.options.queue}" cannot be `
            + 'bound to it. A STOMP client cannot create an exchange: it exists once Climate\'s consumers have declared it '
            + `(e.g. Ceilometer's notification agent listening on "${this.options.exchange}"), or once an operator has created it `
            + `(e.g. "rabbitmqadmin declare exchange name=${this.options.exchange} type=topic durable=true")`
          : `cannot subscribe to ${this.destination} on ${connection.broker.label}: ${(error as Error).message}`, missing ? 'error' : 'warning');
        continue;
      }
      this.connection = connection;
      delay = first;
      logger.info(`reading queue "${this.options.queue}" bound to exchange "${this.options.exchange}" with routing key `
        + `"${this.options.topic}.info" on ${connection.broker.label}`);
      this.subscribed();
      const reason = await connection.ended;
      this.connection = null;
      if (this.stopped) break;
      this.brokers.skipCurrent();
      await retryLater(`lost the connection to ${connection.broker.label}${reason ? `: ${reason.message}` : ''}`, 'warning');
    }
  }

  private onMessage(message: ReceivedMessage): void {
    let n: ReceivedNotification;
    try {
      n = parseNotificationBody(message.body);
    } catch (error) {
      this.options.logger.warning(`ignored a message that is not a notification: ${(error as Error).message}`);
      message.ack();
      return;
    }
    if (n.event_type !== BEFORE_START_EVENT && n.event_type !== END_EVENT) {
      message.ack();
      return;
    }
    const id = n.message_id || message.headers['message-id'] || '';
    if (this.done.has(id)) {
      this.options.logger.debug(`notification ${id} (${n.event_type}) was handled already: acknowledged again`);
      message.ack();
      return;
    }
    const running = this.inFlight.get(id);
    if (running) {
      // Delivered again while still being handled (the first delivery's connection was lost): settle it when done.
      void running.then((completed) => { if (completed) message.ack(); });
      return;
    }
    const leaseId = String(n.payload.id ?? '');
    // One lease's notifications are handled in the order they came: its end never overtakes its heads-up.
    const previous = this.leaseChains.get(leaseId) ?? Promise.resolve();
    const task = previous.then(() => this.handle(n)).catch((error) => {
      this.options.logger.error(`notification ${id} (${n.event_type}) of lease ${leaseId}: ${(error as Error).message}`);
      return true;
    });
    this.inFlight.set(id, task);
    this.leaseChains.set(leaseId, task);
    void task.then((completed) => {
      this.inFlight.delete(id);
      if (this.leaseChains.get(leaseId) === task) this.leaseChains.delete(leaseId);
      if (!completed) return;
      this.done.set(id, true);
      message.ack();
    });
  }

  /** Runs the hook for every host; false when it was cut short by stop(). */
  private async handle(n: ReceivedNotification): Promise<boolean> {
    const { logger } = this.options;
    const leaseId = String(n.payload.id ?? '');
    const isStart = n.event_type === BEFORE_START_EVENT;
    let targets = hostsOf(n.payload);
    if (isStart && targets) this.knownHosts.set(leaseId, targets);
    if (!isStart) {
      // The end notification may not list the hosts: use those of the heads-up this provisioner saw.
      targets ??= this.knownHosts.get(leaseId) ?? null;
    }
    const hook = isStart ? 'on_before_start' : 'on_end';
    const command = isStart ? this.before : this.end;
    const event: HandledEvent = { notification: n, hook: command ? hook : null, outcomes: {} };
    if (command && targets === null) {
      logger.warning(`lease ${leaseId} ${short(n.event_type)}: the notification lists no hosts and this provisioner saw no `
        + `heads-up for the lease: ${hook} not run`);
    }
    if (command && targets?.length) {
      const names = targets.map((t) => hostName(t.host));
      const outcomes = await Promise.all(targets.map((t) => this.runForHost(n, t, command, hook)));
      if (this.stopped) return false;
      names.forEach((name, i) => { event.outcomes[name] = outcomes[i]; });
      const failed = outcomes.filter((o) => o !== 'ok').length;
      logger[failed ? 'warning' : 'info'](`lease ${leaseId} ${short(n.event_type)}: ${hook} done for ${outcomes.length - failed} of ${outcomes.length} host(s)`);
    }
    if (!isStart) this.knownHosts.delete(leaseId);
    this.emit('handled', event);
    return true;
  }

  private async runForHost(n: ReceivedNotification, target: HostTarget, command: CommandTemplate, hook: string): Promise<HostOutcome> {
    const { logger } = this.options;
    const where = `host ${hostName(target.host)} (lease ${String(n.payload.id ?? '')}, ${short(n.event_type)})`;
    let argv: string[];
    try {
      argv = renderCommand(command, templateValues(n, target));
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      logger.error(`${where}: ${hook} not run: ${error.message}`);
      return 'skipped';
    }
    const attempts = 1 + this.options.retries;
    let delay = this.options.retryDelayMs ?? 1000;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const result = await this.slots.run(() => this.stopped
        ? Promise.resolve(null)
        : runCommand(argv, { timeoutMs: this.options.timeoutMs, signal: this.stopping.signal }));
      if (!result || this.stopped) return 'aborted';
      const of = `attempt ${attempt} of ${attempts}`;
      if (result.ok) {
        logger.info(`${where}: ${hook} (${argv[0]}) succeeded in ${seconds(result.durationMs)}, ${of}`);
        return 'ok';
      }
      const detail = `${result.failure}${result.output ? `: ${lastLine(result.output)}` : ''}`;
      if (attempt === attempts) {
        logger.error(`${where}: ${hook} (${argv[0]}) failed, ${of}: ${detail}; giving up`);
        return 'failed';
      }
      logger.warning(`${where}: ${hook} (${argv[0]}) failed, ${of}: ${detail}; trying again in ${seconds(delay)}`);
      if (!(await sleep(delay, this.stopping.signal))) return 'aborted';
      delay = Math.min(this.options.maxRetryDelayMs ?? 30_000, delay * 2);
    }
    return 'failed';
  }
}

function template(option: string, source: string): CommandTemplate | null {
  if (source.trim() === '') return null;
  try {
    return parseCommandTemplate(source);
  } catch (error) {
    throw new Error(`${SECTION} ${option} ${(error as Error).message}`, { cause: error });
  }
}

function hostName(host: Record<string, unknown>): string {
  return String(host.hypervisor_hostname ?? host.name ?? host.id ?? '?');
}

function short(eventType: string): string {
  return eventType.replace(/^lease\.event\./, '');
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

function lastLine(output: string): string {
  const lines = output.split('\n').filter((l) => l.trim() !== '');
  return (lines.at(-1) ?? '').slice(0, 300);
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => { clearTimeout(timer); resolve(false); };
    const timer = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve(true); }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** At most `size` tasks at a time, started in the order they asked. */
class Slots {
  private active = 0;
  private readonly queue: (() => void)[] = [];

  constructor(private readonly size: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.size) await new Promise<void>((resolve) => this.queue.push(resolve));
    else this.active++;
    try {
      return await task();
    } finally {
      const next = this.queue.shift();
      if (next) next();
      else this.active--;
    }
  }
}

/** A map that forgets its oldest entries beyond `capacity`. */
class Recent<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly capacity: number) {}
  has(key: K): boolean { return this.map.has(key); }
  get(key: K): V | undefined { return this.map.get(key); }
  delete(key: K): void { this.map.delete(key); }
  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as K);
  }
}
