/**
 * The benchmark's concurrent clients, on their own thread so that their HTTP and JSON work does not share
 * the event loop of the server being measured (as a separate load generator would not).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { call } from './http';
import { timed } from './stats';

interface LoadJob {
  base: string;
  concurrency: number;
  requests: { method: string; path: string; body?: unknown }[];
  /** Headers of every request instead of the noauth identity (e.g. a Keystone token). */
  headers?: Record<string, string>;
}

async function main(): Promise<void> {
  const job = workerData as LoadJob;
  const result = await timed(job.requests.length, job.concurrency, async (i) => {
    const r = job.requests[i];
    await call(job.base, r.method, r.path, r.body, undefined, job.headers);
  });
  parentPort?.postMessage(result);
}

main().catch((error) => { throw error; });
