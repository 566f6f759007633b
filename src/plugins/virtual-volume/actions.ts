import type { VolumeAllocationRecord, VolumePoolRecord } from '../../db';
import type { HookArgs } from '../types';

export type VolumeHookArgs = HookArgs & { allocation: VolumeAllocationRecord | null; pool: VolumePoolRecord | null };

/** What a virtual:volume reservation does in the cloud at its lease's events (nothing with [compute] driver = none). */
export interface VolumeActions {
  onStart(args: VolumeHookArgs): Promise<void>;
  onEnd(args: VolumeHookArgs): Promise<void>;
}

/** [compute] driver = none: the reservation is a capacity calendar only. */
export const noVolumeActions: VolumeActions = {
  async onStart() {},
  async onEnd() {},
};
