/**
 * The benchmark's concurrent clients, on their own thread so that their HTTP and JSON work does not share
 * the event loop of the server being measured (as a separate load generator would not).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { call } from './http';
import { timed } from './stats';

interface LoadJob {
  base: string;
  /** Several API servers: request i goes to bases[i % bases.length] (`base` is then unused). */
  bases?: string[];
  concurrency: number;
  requests: { method: string; path: string; body?: unknown }[];
  /** Headers of every request instead of the noauth identity (e.g. a Keystone token). */
  headers?: Record<string, string>;
  /** Statuses besides 2xx that count as answers (e.g. 503 from a busy cluster), counted in `refused`. */
  accept?: number[];
}

async function main(): Promise<void> {
  const job = workerData as LoadJob;
  const refused: Record<string, number> = {};
  const result = await timed(job.requests.length, job.concurrency, async (i) => {
    const r = job.requests[i];
    const body = await call(job.bases?.length ? job.bases[i % job.bases.length] : job.base, r.method, r.path, r.body,
      [200, 201, 204, ...(job.accept ?? [])], job.headers) as { error_code?: number } | null;
    if (body?.error_code) refused[body.error_code] = (refused[body.error_code] ?? 0) + 1;
  });
  parentPort?.postMessage({ ...result, refused });
}

main().catch((error) => { throw error; });
