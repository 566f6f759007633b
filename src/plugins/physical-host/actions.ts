import type { HookArgs } from '../types';

/**
 * What happens to reserved hosts in the cloud at lease events. The `none` compute driver does nothing (hosts
 * are inventory records); the `nova` driver moves them between aggregates. Every method must be idempotent.
 */
export interface HostActions {
  onStart(args: HookArgs & { hostIds: number[] }): Promise<void>;
  onEnd(args: HookArgs & { hostIds: number[] }): Promise<void>;
  beforeEnd(args: HookArgs & { hostIds: number[] }): Promise<void>;
}

export const noHostActions: HostActions = {
  async onStart() {},
  async onEnd() {},
  async beforeEnd() {},
};
