import { Router, type Request, type Response } from 'express';
import type { Logger } from '../../common';

/** Something that resolves when the database answers a trivial query (OpsRepository). */
export interface DatabasePing {
  ping(): Promise<void>;
}

export type HealthResult =
  | { ok: true }
  | { ok: false; check: 'timeout' | 'error'; reason: string };

/**
 * Asks the database whether it answers, within `timeoutMs`. Load balancers probe often and all at once: while one
 * probe is waiting, the others share its answer instead of queueing more queries on a database that is already
 * slow. The cause of a failure goes to the log (once, when the state changes), never to the unauthenticated caller.
 */
export class DatabaseHealth {
  private pending: Promise<HealthResult> | null = null;
  private healthy = true;

  constructor(private readonly database: DatabasePing, private readonly logger: Logger, private readonly timeoutMs = 2000) {}

  check(): Promise<HealthResult> {
    this.pending ??= this.probe().finally(() => { this.pending = null; });
    return this.pending;
  }

  private async probe(): Promise<HealthResult> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = Symbol('timeout');
    const timeout = new Promise<typeof timedOut>((resolve) => { timer = setTimeout(() => resolve(timedOut), this.timeoutMs); });
    let result: HealthResult;
    let cause: string;
    try {
      const outcome = await Promise.race([this.database.ping().then(() => 'ok' as const), timeout]);
      if (outcome === 'ok') {
        result = { ok: true };
        cause = '';
      } else {
        result = { ok: false, check: 'timeout', reason: `database did not answer within ${this.timeoutMs} ms` };
        cause = result.reason;
      }
    } catch (error) {
      result = { ok: false, check: 'error', reason: 'database unavailable' };
      cause = String(error);
    } finally {
      clearTimeout(timer);
    }
    if (result.ok !== this.healthy) {
      if (result.ok) this.logger.info('healthcheck: the database answers again');
      else this.logger.error('healthcheck: failing', { reason: result.reason, error: cause });
      this.healthy = result.ok;
    }
    return result;
  }
}

/**
 * `GET /healthcheck` (and HEAD) for load balancers, without authentication: 200 `{"status": "ok"}` when the
 * database answers, 503 with a short reason when it does not. It says nothing more (no versions, hosts or error
 * texts): anyone who can reach the API can call it. Details are in the log and in /metrics.
 */
export function healthcheckRouter(health: DatabaseHealth): Router {
  const router = Router();
  const answer = async (_req: Request, res: Response) => {
    const result = await health.check();
    res.set('Cache-Control', 'no-store');
    if (result.ok) {
      res.status(200).json({ status: 'ok', checks: { database: 'ok' } });
    } else {
      res.status(503).json({ status: 'error', reason: result.reason, checks: { database: result.check } });
    }
  };
  router.get('/healthcheck', answer);
  return router;
}
