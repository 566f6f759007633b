import type { Logger, LogLevel } from './logger';

type Fields = Record<string, unknown>;

interface Window {
  /** When the last line for this key was written. */
  since: number;
  /** Identical lines not written since then. */
  suppressed: number;
}

/**
 * Keeps a failure that repeats from flooding the log: the API answering every request with the database down,
 * a manager loop polling it every second. The first occurrence of a line (level, message and fields alike) is
 * written at once; identical ones within `windowMs` of it are counted, not written; the next one after the
 * window is written with how many were left out, e.g. "event loop error; retrying (repeated 37 times in the
 * last 60 s)". A line that differs is a new key and is written.
 */
export class LogThrottle {
  private readonly windows = new Map<string, Window>();

  /**
   * @param windowMs at most one line per key in this time (default 60 s)
   * @param now the clock, in ms (tests pass their own)
   */
  constructor(private readonly windowMs = 60_000, private readonly now: () => number = Date.now) {}

  /** Writes `message` through `logger` at `level` unless an identical line was written within the window. */
  log(logger: Logger, level: LogLevel, message: string, fields?: Fields): void {
    const key = `${level}\u0000${message}\u0000${fields ? JSON.stringify(fields) : ''}`;
    const now = this.now();
    const window = this.windows.get(key);
    if (window && now - window.since < this.windowMs) {
      window.suppressed++;
      return;
    }
    const repeated = window?.suppressed
      ? ` (repeated ${window.suppressed} times in the last ${Math.round((now - window.since) / 1000)} s)` : '';
    this.windows.set(key, { since: now, suppressed: 0 });
    if (this.windows.size > 1000) this.windows.delete(this.windows.keys().next().value as string);
    logger[level](`${message}${repeated}`, fields);
  }

  error(logger: Logger, message: string, fields?: Fields): void {
    this.log(logger, 'error', message, fields);
  }

  /**
   * The failure is over (the loop ran, the database answered): forgets every key, and returns how many lines
   * were left out since the last ones written, so the caller can say so when it logs the recovery.
   */
  reset(): number {
    let suppressed = 0;
    for (const window of this.windows.values()) suppressed += window.suppressed;
    this.windows.clear();
    return suppressed;
  }

  /** Whether a line was written (and not reset since): the caller is in a failing state. */
  get failing(): boolean {
    return this.windows.size > 0;
  }
}
