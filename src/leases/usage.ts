import type { RequestContext } from '../auth/context';
import { checkRange, type Clock } from '../common';
import type { Repositories } from '../db';
import { parseQueryDate, renderLeaseDate } from './dates';

export interface UsageQuery {
  start?: string;
  end?: string;
  project_id?: string;
}

/** GET /v1/usage: what each project's leases held in a range, by resource type. */
export interface UsageView {
  start_date: string;
  end_date: string;
  usage: {
    project_id: string;
    resource_type: string;
    host_hours: number;
    instance_slot_hours: number;
    leases: number;
  }[];
}

export interface UsageReportDeps {
  repos: Repositories;
  clock: Clock;
  policy?: { enforce(ctx: RequestContext, rule: string, target?: Readonly<Record<string, unknown>>): void };
}

/**
 * Usage by project from the usage ledger, which keeps what leases held after they end, are deleted or are
 * purged. Members see their own project (a `project_id` of another project is ignored, as on lease lists);
 * admins any project, or all of them without `project_id`.
 */
export class UsageReport {
  constructor(private readonly deps: UsageReportDeps) {}

  async summary(ctx: RequestContext, query: UsageQuery): Promise<UsageView> {
    const now = this.deps.clock.now();
    const projectId = ctx.isAdmin ? (query.project_id || undefined) : (ctx.projectId ?? '');
    this.deps.policy?.enforce(ctx, 'climate:usage:get', { project_id: projectId ?? ctx.projectId, user_id: ctx.userId });
    const start = parseQueryDate('start', query.start, now);
    const end = parseQueryDate('end', query.end, now);
    checkRange(start, end);
    const rows = await this.deps.repos.usage.summarize({ start, end }, projectId);
    return {
      start_date: renderLeaseDate(start),
      end_date: renderLeaseDate(end),
      usage: rows.map((r) => ({
        project_id: r.projectId, resource_type: r.resourceType, host_hours: r.hostHours,
        instance_slot_hours: r.instanceSlotHours, leases: r.leases,
      })),
    };
  }
}
