import type { QuotasConfig } from '../config';
import { QUOTA_LIMITS, type ProjectQuotaRecord, type QuotaLimitName } from '../db';

/** A project's limits in effect: its own where set, the `[quotas]` defaults elsewhere; -1 for none. */
export type QuotaLimits = Record<QuotaLimitName, number>;

/** Applies the defaults to a project's own limits (null: no row). */
export function effectiveLimits(defaults: QuotasConfig['defaults'], record: ProjectQuotaRecord | null): QuotaLimits {
  return Object.fromEntries(QUOTA_LIMITS.map((name) => [name, record?.limits[name] ?? defaults[name]])) as QuotaLimits;
}

export function isUnlimited(limits: QuotaLimits): boolean {
  return QUOTA_LIMITS.every((name) => limits[name] < 0);
}
