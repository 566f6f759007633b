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
}

async function main(): Promise<void> {
  const job = workerData as LoadJob;
  const result = await timed(job.requests.length, job.concurrency, async (i) => {
    const r = job.requests[i];
    await call(job.base, r.method, r.path, r.body);
  });
  parentPort?.postMessage(result);
}

main().catch((error) => { throw error; });
