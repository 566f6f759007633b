import * as fs from 'node:fs';
import * as os from 'node:os';
import { Router, type Request, type Response } from 'express';
import type { Logger } from '../../common';

/** What the API needs of its database, asked by /healthcheck. */
export interface DatabaseProbe {
  /**
   * Names of the migrations the running code expects and the database has not applied (empty: the schema is
   * current). Rejects when the database does not answer or has no schema (dropped, never migrated).
   */
  unappliedMigrations(): Promise<string[]>;
}

/** The outcome of one check, as oslo.middleware's healthcheck backends report it. */
export interface CheckResult {
  /** The check's name in the detailed answer (oslo's "class"). */
  check: 'DisableByFile' | 'Database';
  available: boolean;
  /** Short, for anyone: "OK", "DISABLED BY FILE", "database unavailable"... */
  reason: string;
  /** For the detailed answer only: may name paths or hosts. */
  details: string;
}

export interface HealthcheckOptions {
  /** While this file exists the API reports itself unavailable (drain); empty: no such check. */
  disableByFilePath?: string;
  /** Whether JSON answers carry details (oslo's `detailed` option). */
  detailed?: boolean;
  /** A database that takes longer fails the check. Default 2000. */
  timeoutMs?: number;
}

/**
 * Asks the database whether the API can work with it: it answers, within `timeoutMs`, and has every migration
 * this code needs (after a `DROP DATABASE`, a restore of an old backup, or new code started before `db sync`,
 * the API would fail every request). Load balancers probe often and all at once: while one probe waits, the
 * others share its answer instead of queueing more queries on a database that is already slow. The cause of a
 * failure goes to the log once, when the state changes.
 */
export class DatabaseHealth {
  private pending: Promise<CheckResult> | null = null;
  private healthy = true;

  constructor(private readonly database: DatabaseProbe, private readonly logger: Logger, private readonly timeoutMs = 2000) {}

  check(): Promise<CheckResult> {
    this.pending ??= this.probe().finally(() => { this.pending = null; });
    return this.pending;
  }

  private async probe(): Promise<CheckResult> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = Symbol('timeout');
    const timeout = new Promise<typeof timedOut>((resolve) => { timer = setTimeout(() => resolve(timedOut), this.timeoutMs); });
    let result: CheckResult;
    try {
      const outcome = await Promise.race([this.database.unappliedMigrations(), timeout]);
      if (outcome === timedOut) {
        const reason = `database did not answer within ${this.timeoutMs} ms`;
        result = { check: 'Database', available: false, reason, details: reason };
      } else if (outcome.length > 0) {
        result = {
          check: 'Database', available: false, reason: 'database schema not up to date',
          details: `migrations not applied: ${outcome.join(', ')} (run climate-manage db sync)`,
        };
      } else {
        result = { check: 'Database', available: true, reason: 'OK', details: 'the database answers and its schema is current' };
      }
    } catch (error) {
      const cause = (error as Error)?.cause ?? error;
      result = { check: 'Database', available: false, reason: 'database unavailable', details: String(cause) };
    } finally {
      clearTimeout(timer);
    }
    if (result.available !== this.healthy) {
      if (result.available) this.logger.info('healthcheck: the database answers again');
      else this.logger.error('healthcheck: failing', { reason: result.reason, error: result.details });
      this.healthy = result.available;
    }
    return result;
  }
}

/** oslo.middleware's disable_by_file backend: unavailable while the file exists. */
function disableByFile(path: string): CheckResult {
  return fs.existsSync(path)
    ? { check: 'DisableByFile', available: false, reason: 'DISABLED BY FILE', details: `Path '${path}' was found` }
    : { check: 'DisableByFile', available: true, reason: 'OK', details: `Path '${path}' was not found` };
}

/** Whether the client asked for JSON: `?detailed`, or an Accept header preferring JSON to plain text. */
function wantsJson(req: Request): boolean {
  if (req.query.detailed !== undefined) return true;
  return req.accepts(['text/plain', 'application/json']) === 'application/json';
}

/**
 * `/healthcheck` for load balancers and operators, without authentication, following oslo.middleware's
 * healthcheck: GET answers 200 when every check passes and 503 otherwise, HEAD 204 or 503 with no body. Text
 * clients get the reasons as plain text (`OK`); `Accept: application/json` gets
 * `{"detailed": false, "reasons": [...]}`. Reasons are short and say nothing about hosts or errors; with
 * `detailed`, JSON answers (and `?detailed`) add each check's details and the process's platform. The file
 * check comes first, and a drained process does not query the database.
 */
export function healthcheckRouter(health: DatabaseHealth, options: HealthcheckOptions = {}): Router {
  const router = Router();
  const answer = async (req: Request, res: Response) => {
    const results: CheckResult[] = [];
    if (options.disableByFilePath) results.push(disableByFile(options.disableByFilePath));
    if (results.every((r) => r.available)) results.push(await health.check());
    const healthy = results.every((r) => r.available);
    const failing = results.filter((r) => !r.available);
    const reasons = healthy ? ['OK'] : failing.map((r) => r.reason);
    res.set('Cache-Control', 'no-store');
    if (req.method === 'HEAD') {
      res.status(healthy ? 204 : 503).type('text/plain').end();
      return;
    }
    res.status(healthy ? 200 : 503);
    if (!wantsJson(req)) {
      res.type('text/plain').send(reasons.join('\n'));
      return;
    }
    if (!options.detailed) {
      res.json({ detailed: false, reasons });
      return;
    }
    res.json({
      detailed: true,
      now: new Date().toISOString(),
      hostname: os.hostname(),
      node_version: process.version,
      platform: `${os.type()} ${os.release()} ${process.arch}`,
      uptime_seconds: Math.round(process.uptime()),
      memory: { rss_bytes: process.memoryUsage().rss, heap_used_bytes: process.memoryUsage().heapUsed },
      reasons: results.map((r) => ({ class: r.check, reason: r.reason, details: r.details })),
    });
  };
  router.get('/healthcheck', answer);
  return router;
}
