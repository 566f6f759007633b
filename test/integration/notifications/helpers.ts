/** Real RabbitMQ (STOMP plugin) and a real oslo.messaging listener for the notification tests. */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import * as path from 'node:path';
import type { Logger } from '../../../src/common';

/** tools/ensure-rabbitmq-stomp.sh makes sure these answer (npm test runs it). */
export const STOMP_URL = process.env.CLIMATE_TEST_STOMP_URL ?? 'stomp://guest:guest@127.0.0.1:61613/';
export const RABBIT_URL = process.env.CLIMATE_TEST_RABBIT_URL ?? 'rabbit://guest:guest@127.0.0.1:5672/';
// From the sources (jest), or from the compiled copy under dist/ (the benchmark), which has no Python files.
const LISTENER = [path.resolve(__dirname, '../../support/oslo-listener.py'), path.resolve(__dirname, '../../../../test/support/oslo-listener.py')]
  .find((file) => existsSync(file)) ?? path.resolve(__dirname, '../../support/oslo-listener.py');
const PYTHON = '/usr/bin/python3';

/** A name no other test (nor another run of this one on the same broker) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** What the oslo.messaging listener hands its endpoint, as it printed it. */
export interface Received {
  priority: string;
  publisher_id: string;
  event_type: string;
  payload: Record<string, unknown> & { id?: string };
  metadata: { message_id: string; timestamp: string };
}

export async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * test/support/oslo-listener.py: `oslo_messaging.get_notification_listener` on Target(topic, exchange), as
 * Ceilometer's notification agent runs it. It declares the exchange and its queues (durable, so that they
 * outlive a broker restart) and deletes them when stopped.
 */
export class OsloListener {
  readonly received: Received[] = [];
  private stderr = '';
  private readonly exited: Promise<number | null>;

  private constructor(private readonly child: ChildProcessWithoutNullStreams, readonly exchange: string, readonly topic: string) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    child.stderr.on('data', (chunk: Buffer) => { this.stderr = (this.stderr + chunk.toString()).slice(-20_000); });
  }

  static async start(exchange: string, topic: string): Promise<OsloListener> {
    const child = spawn(PYTHON, [LISTENER, '--url', RABBIT_URL, '--exchange', exchange, '--topic', topic, '--durable', '--cleanup'],
      { stdio: ['pipe', 'pipe', 'pipe'] });
    const listener = new OsloListener(child, exchange, topic);
    let ready = false;
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        const record = JSON.parse(line) as Received & { ready?: boolean };
        if (record.ready) ready = true;
        else listener.received.push(record);
      }
    });
    let exitCode: number | null | undefined;
    void listener.exited.then((code) => { exitCode = code; });
    await waitUntil('the oslo.messaging listener to be ready', () => {
      if (exitCode !== undefined) throw new Error(`oslo-listener.py exited (${exitCode}): ${listener.stderr}`);
      return ready;
    }, 30_000);
    return listener;
  }

  /** The notifications received, each once (delivery is at least once), in the order they first came. */
  unique(filter: (r: Received) => boolean = () => true): Received[] {
    const seen = new Set<string>();
    return this.received.filter((r) => {
      if (seen.has(r.metadata.message_id)) return false;
      seen.add(r.metadata.message_id);
      return filter(r);
    });
  }

  forLease(leaseId: string): Received[] {
    return this.unique((r) => r.payload.id === leaseId);
  }

  async waitForCount(leaseId: string, count: number, timeoutMs = 30_000): Promise<Received[]> {
    await waitUntil(`${count} notification(s) of lease ${leaseId} (got ${this.forLease(leaseId).map((r) => r.event_type).join(', ')})`,
      () => this.forLease(leaseId).length >= count, timeoutMs);
    return this.forLease(leaseId);
  }

  /** Closes its stdin (it stops and deletes its queues and exchange); kills it if it does not exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
    await this.exited;
    clearTimeout(timer);
  }
}

export function rabbitmqctl(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('rabbitmqctl', ['-q', ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`rabbitmqctl ${args.join(' ')} failed: ${stderr || error.message}`));
      else resolve(stdout);
    });
  });
}

export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

/** Queue name -> [ready, unacknowledged] messages. */
export async function queueCounts(): Promise<Map<string, [number, number]>> {
  const out = await rabbitmqctl('list_queues', 'name', 'messages_ready', 'messages_unacknowledged', '--no-table-headers');
  const counts = new Map<string, [number, number]>();
  for (const line of out.split('\n')) {
    const [name, ready, unacked] = line.trim().split(/\s+/);
    if (name) counts.set(name, [Number(ready), Number(unacked)]);
  }
  return counts;
}

export async function deleteQueue(name: string): Promise<void> {
  await rabbitmqctl('delete_queue', name).catch(() => undefined);
}

/** A logger that keeps its lines (`LEVEL message`), for tests about what operators are told. */
export function recordingLogger(lines: string[] = []): Logger & { lines: string[] } {
  const logger = {
    lines,
    debug: (m: string) => { lines.push(`DEBUG ${m}`); },
    info: (m: string) => { lines.push(`INFO ${m}`); },
    warning: (m: string) => { lines.push(`WARNING ${m}`); },
    error: (m: string) => { lines.push(`ERROR ${m}`); },
    child: () => logger,
  };
  return logger;
}
