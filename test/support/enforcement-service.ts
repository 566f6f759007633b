import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the fake enforcement service received. */
export interface RecordedCall {
  path: string;
  method: string;
  headers: Record<string, string | string[] | undefined>;
  /** The body parsed as JSON (undefined if it was not JSON). */
  body: unknown;
}

/** How the service answers a path: status, raw body text, and a delay before answering. */
export interface Answer {
  status: number;
  body?: string;
  delayMs?: number;
}

/**
 * A small HTTP server standing in for an operator's usage enforcement service: it records every call and
 * answers each path as the test configured it (204 by default).
 */
export class FakeEnforcementService {
  readonly calls: RecordedCall[] = [];
  private readonly answers = new Map<string, Answer>();
  private server: Server | null = null;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try { body = JSON.parse(text); } catch { body = undefined; }
        const path = req.url ?? '';
        this.calls.push({ path, method: req.method ?? '', headers: req.headers, body });
        const answer = this.answers.get(path) ?? { status: 204 };
        const send = () => {
          if (res.destroyed) return;
          res.writeHead(answer.status, answer.body === undefined ? {} : { 'Content-Type': 'application/json' });
          res.end(answer.body);
        };
        if (answer.delayMs) setTimeout(send, answer.delayMs).unref();
        else send();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Answers `path` (e.g. "/v1/check-create") this way from now on. */
  answer(path: string, answer: Answer): void {
    this.answers.set(path, answer);
  }

  /** Forgets the calls and answers of the previous test. */
  reset(): void {
    this.calls.length = 0;
    this.answers.clear();
  }

  callsTo(path: string): RecordedCall[] {
    return this.calls.filter((c) => c.path === path);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
