/** The manager: lease events at their time, and periodic jobs. */
export { EventRunner, type EventRunnerOptions } from './event-runner';
export { PeriodicJob } from './periodic';
export { Reconciler, type Finding, type ReconcilerOptions } from './reconciler';
export { HostHealer, hostFailure, type HealingReport, type HostHealerDeps } from './healing';
