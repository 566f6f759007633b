import type { HookArgs } from '../types';

/** What a virtual:stack reservation does with its Heat stack at its lease's events (nothing with [compute] driver = none). */
export interface StackActions {
  onStart(args: HookArgs): Promise<void>;
  onEnd(args: HookArgs): Promise<void>;
}

/** [compute] driver = none: the reservation is a capacity calendar only. */
export const noStackActions: StackActions = {
  async onStart() {},
  async onEnd() {},
};
