/** Per-project quotas (issue 16, part 2): limits set through /v1/quotas, checked in lease transactions. */
export { QuotaCheck, type QuotaBaseline } from './check';
export { QuotaService, parseLimits, type QuotaView, type QuotaServiceDeps } from './service';
export { QuotaExceeded } from './errors';
export { effectiveLimits, type QuotaLimits } from './limits';
export { peakAtOnce, peakOverPeriod, type Holding, type Peak } from './measure';
