/**
 * A FIFO async mutex. SQLite allows one writer at a time; queueing writers in-process avoids SQLITE_BUSY
 * storms between our own transactions (other processes are handled by the busy timeout).
 */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  async run<T>(fn: () => Promise<T>): Promise<T> {
    let release!: () => void;
    const next = new Promise<void>((resolve) => (release = resolve));
    const previous = this.tail;
    this.tail = previous.then(() => next);
    await previous;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}
