/** Resource plugins: one folder per resource type, one interface for all. */
export {
  PluginRegistry, type ResourcePlugin, type ReservationParams, type HookArgs, type ValidateContext, type AvailabilityPlanner,
  type AvailabilityQuery, type SlotPlacement, type TrialHolds, type Prepared,
} from './types';
export { ConflictNamingLeases, type LeaseMention, type LeaseNamer } from './conflicts';
export {
  actsOn, lifecycleActionsOf, parseLifecycleActions, updateLifecycleActions, LIFECYCLE_FIELDS, type EndAction, type LifecycleActions,
  type StartAction,
} from './lifecycle-actions';
