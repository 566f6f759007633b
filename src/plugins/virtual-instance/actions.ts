import type { HookArgs } from '../types';
import type { InstanceAllocationRecord } from '../../db';

/** What a virtual:instance reservation does in the cloud at its lease's events (nothing with [compute] driver = none). */
export interface InstanceActions {
  onStart(args: HookArgs & { allocations: InstanceAllocationRecord[] }): Promise<void>;
  onEnd(args: HookArgs & { allocations: InstanceAllocationRecord[] }): Promise<void>;
  /** The reservation's allocations changed while its lease is active: the cloud follows them. */
  onUpdate(args: HookArgs & { allocations: InstanceAllocationRecord[] }): Promise<void>;
}

/** [compute] driver = none: the reservation is a capacity calendar only. */
export const noInstanceActions: InstanceActions = {
  async onStart() {},
  async onEnd() {},
  async onUpdate() {},
};
