import type { RequestContext } from '../auth/context';
import { InvalidInput, type Clock } from '../common';
import type { QuotasConfig } from '../config';
import { QUOTA_LIMITS, type Database, type QuotaLimitName, type QuotaOverrides, type Repositories } from '../db';
import { effectiveLimits, type QuotaLimits } from './limits';

/** GET /v1/quotas/{project_id}: the limits in effect, and which of them the project has of its own. */
export interface QuotaView extends QuotaLimits {
  project_id: string | null;
  /** Seconds of the rolling period host_hours counts over ([quotas] host_hours_period). */
  host_hours_period: number;
  /** The limits set for this project; the others are the [quotas] defaults. */
  project_limits: QuotaLimitName[];
}

export interface QuotaServiceDeps {
  db: Database;
  repos: Repositories;
  clock: Clock;
  config: QuotasConfig;
  policy?: { enforce(ctx: RequestContext, rule: string, target?: Readonly<Record<string, unknown>>): void };
}

/** Projects' quotas as admins set them (climate:quotas:*), and as members of the project read them. */
export class QuotaService {
  constructor(private readonly deps: QuotaServiceDeps) {}

  /** The defaults, and every project with limits of its own (admins). */
  async list(ctx: RequestContext): Promise<{ defaults: QuotaView; quotas: QuotaView[] }> {
    this.authorize(ctx, 'climate:quotas:list', ctx.projectId);
    const rows = await this.deps.repos.quotas.listOverridden();
    return {
      defaults: this.view(null, effectiveLimits(this.deps.config.defaults, null), []),
      quotas: rows.map((r) => this.view(r.projectId, effectiveLimits(this.deps.config.defaults, r),
        QUOTA_LIMITS.filter((name) => r.limits[name] !== null))),
    };
  }

  async get(ctx: RequestContext, projectId: string): Promise<QuotaView> {
    this.authorize(ctx, 'climate:quotas:get', projectId);
    const record = await this.deps.repos.quotas.get(projectId);
    return this.view(projectId, effectiveLimits(this.deps.config.defaults, record),
      QUOTA_LIMITS.filter((name) => record?.limits[name] != null));
  }

  /** Sets the limits given (null: back to the default), keeps the others. */
  async set(ctx: RequestContext, projectId: string, body: unknown): Promise<QuotaView> {
    this.authorize(ctx, 'climate:quotas:update', projectId);
    const limits = parseLimits(body);
    await this.deps.db.transaction((tx) => this.deps.repos.quotas.setLimits(tx, projectId, limits, this.deps.clock.now()));
    return this.get(ctx, projectId);
  }

  /** Every limit of the project back to the defaults. */
  async reset(ctx: RequestContext, projectId: string): Promise<void> {
    this.authorize(ctx, 'climate:quotas:delete', projectId);
    const all = Object.fromEntries(QUOTA_LIMITS.map((name) => [name, null])) as QuotaOverrides;
    await this.deps.db.transaction((tx) => this.deps.repos.quotas.setLimits(tx, projectId, all, this.deps.clock.now()));
  }

  private view(projectId: string | null, limits: QuotaLimits, own: QuotaLimitName[]): QuotaView {
    return { project_id: projectId, ...limits, host_hours_period: this.deps.config.hostHoursPeriodSeconds, project_limits: own };
  }

  private authorize(ctx: RequestContext, rule: string, projectId: string | null): void {
    this.deps.policy?.enforce(ctx, rule, { project_id: projectId, user_id: ctx.userId });
  }
}

/** The limits of a PUT body: known names only, whole numbers from -1 up, or null for the default. */
export function parseLimits(body: unknown): Partial<QuotaOverrides> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new InvalidInput('The body must be a JSON object of limits');
  const entries = Object.entries(body as Record<string, unknown>);
  if (entries.length === 0) throw new InvalidInput(`Nothing to set: give one or more of ${QUOTA_LIMITS.join(', ')}`);
  const limits: Partial<QuotaOverrides> = {};
  for (const [name, value] of entries) {
    if (!(QUOTA_LIMITS as readonly string[]).includes(name)) {
      throw new InvalidInput(`Unknown quota "${name}"; quotas are ${QUOTA_LIMITS.join(', ')}`);
    }
    if (value !== null && !(Number.isSafeInteger(value) && (value as number) >= -1)) {
      throw new InvalidInput(`Invalid input for field/attribute ${name}: a whole number, -1 for no limit, or null for the default`);
    }
    limits[name as QuotaLimitName] = value as number | null;
  }
  return limits;
}
