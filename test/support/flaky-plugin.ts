import type { ReservationRecord, Tx, Window } from '../../src/db';
import type { HookArgs, ResourcePlugin } from '../../src/plugins';

export interface FlakyOptions {
  /** How many start hooks fail before they succeed. */
  failures?: number;
  /** How long each start hook takes. */
  startDelayMs?: number;
  /** Called when a start hook begins (before its delay). */
  onStartBegins?: (reservationId: string) => void;
}

/**
 * A resource type with nothing to allocate whose hooks are recorded, can fail a set number of times and can
 * be slow: the manager's retry, exactly-once and shutdown tests drive it.
 */
export class FlakyPlugin implements ResourcePlugin {
  readonly resourceType = 'test:flaky';
  /** Every hook call, as `<hook>:<reservation id>`. */
  readonly calls: string[] = [];
  failuresLeft: number;

  constructor(private readonly options: FlakyOptions = {}) {
    this.failuresLeft = options.failures ?? 0;
  }

  get startCalls(): number {
    return this.calls.filter((c) => c.startsWith('onStart:')).length;
  }

  async validate(raw: Record<string, unknown>) { return { ...raw }; }
  async validateUpdate(current: Record<string, unknown>, changes: Record<string, unknown>) { return { ...current, ...changes }; }
  async allocate(_tx: Tx, _r: ReservationRecord, _w: Window) {}
  async reallocate() {}
  async release() {}

  async onStart({ reservation }: HookArgs) {
    this.calls.push(`onStart:${reservation.id}`);
    this.options.onStartBegins?.(reservation.id);
    if (this.options.startDelayMs) await new Promise((resolve) => setTimeout(resolve, this.options.startDelayMs).unref());
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      throw new Error('cloud said no');
    }
  }

  async onEnd({ reservation }: HookArgs) { this.calls.push(`onEnd:${reservation.id}`); }
  async beforeEnd({ reservation }: HookArgs) { this.calls.push(`beforeEnd:${reservation.id}`); }
  async beforeStart({ reservation }: HookArgs) { this.calls.push(`beforeStart:${reservation.id}`); }
}
