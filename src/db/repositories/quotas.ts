import type { Database, Tx } from '../database';
import { fromSqlDate, sqlDate } from '../sql-values';

/** The limits a project can be given; each is a count, host-hours or seconds, -1 for none. */
export const QUOTA_LIMITS = ['hosts', 'host_hours', 'instance_slots', 'leases', 'max_lease_duration', 'max_extension'] as const;
export type QuotaLimitName = (typeof QUOTA_LIMITS)[number];

/** A project's own limits: null where the configured default applies. */
export type QuotaOverrides = Record<QuotaLimitName, number | null>;

export interface ProjectQuotaRecord {
  projectId: string;
  limits: QuotaOverrides;
  updatedAt: Date | null;
}

/** Spans of the usage ledger with the same dates: `amount` hosts or instance slots held over [start, end). */
export interface HeldSpan {
  /** The lease asked about, or '' for the project's other leases. */
  leaseId: string;
  kind: 'host' | 'instance';
  amount: number;
  start: Date;
  end: Date;
}

/** A lease's window, for counting leases held at the same time. */
export interface LeaseWindow {
  leaseId: string;
  start: Date;
  end: Date;
}

/** Leases in these statuses hold nothing any more and do not count against `leases`. */
const FINISHED_STATUSES = ['TERMINATED', 'TERMINATING', 'DELETING'];

const COLUMNS = `project_id, ${QUOTA_LIMITS.join(', ')}, updated_at`;

function toRecord(r: Record<string, unknown>): ProjectQuotaRecord {
  const limits = Object.fromEntries(QUOTA_LIMITS.map((name) => [name, r[name] == null ? null : Number(r[name])])) as QuotaOverrides;
  return { projectId: String(r.project_id), limits, updatedAt: r.updated_at == null ? null : fromSqlDate(r.updated_at) };
}

/**
 * project_quotas (migration 008): each project's own limits, and the row a lease create or update writes first
 * so that the usage it then counts cannot change under it (see lockProject). Usage itself is read from the usage
 * ledger and the leases table, in the caller's transaction.
 */
export class QuotaRepository {
  constructor(private readonly db: Database) {}

  /** The project's row, or null when it has never had limits nor a checked lease. */
  async get(projectId: string, tx?: Tx): Promise<ProjectQuotaRecord | null> {
    const [row] = await this.db.select(`SELECT ${COLUMNS} FROM project_quotas WHERE project_id = ?`, [projectId], tx);
    return row ? toRecord(row) : null;
  }

  /** Projects with at least one limit of their own, by project id. */
  async listOverridden(): Promise<ProjectQuotaRecord[]> {
    const anySet = QUOTA_LIMITS.map((name) => `${name} IS NOT NULL`).join(' OR ');
    const rows = await this.db.select(`SELECT ${COLUMNS} FROM project_quotas WHERE ${anySet} ORDER BY project_id`);
    return rows.map(toRecord);
  }

  /** Whether any project has a limit of its own (when none has and the defaults are unlimited, nothing is checked). */
  async anyOverridden(tx?: Tx): Promise<boolean> {
    const anySet = QUOTA_LIMITS.map((name) => `${name} IS NOT NULL`).join(' OR ');
    const rows = await this.db.select(`SELECT project_id FROM project_quotas WHERE ${anySet} LIMIT 1`, [], tx);
    return rows.length > 0;
  }

  /**
   * Sets the given limits of a project (null: back to the default), leaving the others as they are; creates
   * the row if needed. Written under lockProject, so it waits for a lease being admitted under the old limits.
   */
  async setLimits(tx: Tx, projectId: string, limits: Partial<QuotaOverrides>, now: Date): Promise<void> {
    await this.lockProject(tx, projectId);
    const names = QUOTA_LIMITS.filter((name) => Object.hasOwn(limits, name));
    await this.db.execute(
      `UPDATE project_quotas SET ${[...names.map((n) => `${n} = ?`), 'updated_at = ?'].join(', ')} WHERE project_id = ?`,
      [...names.map((n) => limits[n] ?? null), sqlDate(now), projectId], tx);
  }

  /**
   * Writes the project's row (creating it if needed) and so holds it until the transaction ends: a second
   * transaction of the same project waits here (MySQL/MariaDB, PostgreSQL row lock; SQLite has one writer
   * anyway) and, once it gets the row, counts with what the first one committed (READ COMMITTED). A write
   * rather than SELECT ... FOR UPDATE so that Galera certifies concurrent admissions against each other.
   */
  async lockProject(tx: Tx, projectId: string): Promise<void> {
    const upsert = this.db.dialect === 'mysql'
      ? 'INSERT INTO project_quotas (project_id, admissions) VALUES (?, 1) ON DUPLICATE KEY UPDATE admissions = admissions + 1'
      : 'INSERT INTO project_quotas (project_id, admissions) VALUES (?, 1) ON CONFLICT (project_id) DO UPDATE SET admissions = project_quotas.admissions + 1';
    await this.db.execute(upsert, [projectId], tx);
  }

  /**
   * The project's spans of the usage ledger overlapping [from, to): what its leases hold (and held) as hosts and
   * instance slots. Spans of other leases with the same dates are summed into one (leases of a project often
   * share their windows), those of `leaseId` kept apart (its own part is reported). One indexed read
   * (usage_ledger_project), through the text protocol: it can be thousands of rows.
   */
  async heldSpans(tx: Tx, projectId: string, from: Date, to: Date, leaseId: string): Promise<HeldSpan[]> {
    const rows = await this.db.selectMany<Record<string, unknown>>(
      `SELECT CASE WHEN lease_id = ? THEN 1 ELSE 0 END AS own, kind, SUM(amount) AS amount, start_date, end_date
       FROM usage_ledger WHERE project_id = ? AND end_date > ? AND start_date < ? AND kind IN ('host', 'instance')
       GROUP BY CASE WHEN lease_id = ? THEN 1 ELSE 0 END, kind, start_date, end_date`,
      [leaseId, projectId, sqlDate(from), sqlDate(to), leaseId], tx);
    return rows.map((r) => ({
      leaseId: Number(r.own) === 1 ? leaseId : '', kind: String(r.kind) as HeldSpan['kind'], amount: Number(r.amount),
      start: fromSqlDate(r.start_date), end: fromSqlDate(r.end_date),
    }));
  }

  /** The windows of the project's leases that are not finished and overlap [from, to). */
  async leaseWindows(tx: Tx, projectId: string, from: Date, to: Date): Promise<LeaseWindow[]> {
    const rows = await this.db.select<Record<string, unknown>>(
      `SELECT id, start_date, end_date FROM leases
       WHERE project_id = ? AND end_date > ? AND start_date < ? AND status NOT IN (${FINISHED_STATUSES.map(() => '?').join(', ')})`,
      [projectId, sqlDate(from), sqlDate(to), ...FINISHED_STATUSES], tx);
    return rows.map((r) => ({ leaseId: String(r.id), start: fromSqlDate(r.start_date), end: fromSqlDate(r.end_date) }));
  }
}
