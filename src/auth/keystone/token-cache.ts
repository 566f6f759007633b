import { createHash } from 'node:crypto';

/** The cache key of a token: its SHA-256, so the cache never holds tokens themselves. */
export function tokenKey(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

interface Entry<V> {
  value: V;
  expiresAt: number;
}

/**
 * A map whose entries expire, bounded in size: when full, the least recently used entry goes first.
 * (A Map iterates in insertion order; a hit re-inserts its entry at the end.)
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, Entry<V>>();

  constructor(private readonly maxEntries: number, private readonly now: () => number = Date.now) {
    if (!(maxEntries >= 1)) throw new Error('cache size must be at least 1');
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Remembers `value` until `expiresAt` (ms since the epoch); nothing when that is already past. */
  set(key: string, value: V, expiresAt: number): void {
    this.entries.delete(key);
    if (expiresAt <= this.now()) return;
    this.entries.set(key, { value, expiresAt });
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
