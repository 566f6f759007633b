/** Resource plugins: one folder per resource type, one interface for all. */
export { PluginRegistry, type ResourcePlugin, type ReservationParams, type HookArgs } from './types';
