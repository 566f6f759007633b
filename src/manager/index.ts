/** The manager: lease events at their time, and periodic jobs. */
export { EventRunner, type EventRunnerOptions, type EventRunObserver } from './event-runner';
export { eventRunMetrics } from './metrics';
export { PeriodicJob } from './periodic';
export { Reconciler, type Finding, type ReconcilerOptions } from './reconciler';
export { HostHealer, hostFailure, type HealingReport, type HostHealerDeps } from './healing';
