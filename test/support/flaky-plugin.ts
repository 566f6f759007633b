import type { ReservationRecord, Tx, Window } from '../../src/db';
import type { HookArgs, ResourcePlugin } from '../../src/plugins';

/** A resource type with no resources whose start hook fails a set number of times (retry tests). */
export class FlakyPlugin implements ResourcePlugin {
  readonly resourceType = 'test:flaky';
  startCalls = 0;

  constructor(public failuresLeft: number) {}

  async validate(raw: Record<string, unknown>) { return { ...raw }; }
  async validateUpdate(current: Record<string, unknown>, changes: Record<string, unknown>) { return { ...current, ...changes }; }
  async allocate(_tx: Tx, _r: ReservationRecord, _w: Window) {}
  async reallocate() {}
  async release() {}
  async onStart(_args: HookArgs) {
    this.startCalls++;
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      throw new Error('cloud said no');
    }
  }
  async onEnd() {}
  async beforeEnd() {}
  async beforeStart() {}
}
