import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A fault injected on one route of a fake service. */
export interface Fault {
  /** Answer with this status (the service's own error body). */
  status?: number;
  /** Wait this long before answering (with `status` or the normal answer). */
  delayMs?: number;
  /** Never answer (the client times out). */
  hang?: boolean;
  /** Do the work, then answer `status` anyway (the reply was lost). */
  afterHandling?: boolean;
  /** How many requests it applies to; default 1; Infinity for all. */
  times?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  route: string;
  body: unknown;
  headers: http.IncomingHttpHeaders;
}

/**
 * What every fake OpenStack service shares: an HTTP server on a free loopback port, the requests it got
 * (by route template), and faults injected per route. Each fake implements `dispatch` with its API's contract.
 */
export abstract class FakeService {
  readonly requests: RecordedRequest[] = [];
  url = '';
  private readonly faults: { route: string; fault: Fault; left: number }[] = [];
  private server: http.Server | null = null;
  private readonly sockets = new Set<Socket>();

  protected abstract dispatch(req: http.IncomingMessage, text: string, res: http.ServerResponse): Promise<void>;

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => { body += chunk.toString(); });
      req.on('end', () => { void this.dispatch(req, body, res); });
    });
    this.server.on('connection', (s) => { this.sockets.add(s); s.on('close', () => this.sockets.delete(s)); });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** Injects a fault on a route (e.g. "POST /os-aggregates/{id}/action:add_host"); "*" matches every route. */
  fault(route: string, fault: Fault): void {
    this.faults.push({ route, fault, left: fault.times ?? 1 });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Requests made to a route. */
  calls(route: string): RecordedRequest[] {
    return this.requests.filter((r) => r.route === route);
  }

  /** The fault that applies to this request of `route`, if any (each injection counts down). */
  protected takeFault(route: string): Fault | undefined {
    const i = this.faults.findIndex((f) => f.left > 0 && (f.route === route || f.route === '*'));
    if (i < 0) return undefined;
    const f = this.faults[i];
    f.left--;
    if (f.left <= 0) this.faults.splice(i, 1);
    return f.fault;
  }
}
