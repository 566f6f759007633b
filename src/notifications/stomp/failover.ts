import { ConnectionLost, DEFAULT_CONNECTION_OPTIONS, StompConnection, type ConnectionOptions } from './connection';
import type { BrokerAddress } from './url';

/**
 * Connects to the first broker of the list that answers, starting after the one used last time, so that a
 * broker that went away is not tried first again. Rejects with every broker's reason when none answers
 * (a BrokerError such as bad credentials is returned at once: another broker of the same cluster would say
 * the same, and the operator must see it).
 */
export class BrokerList {
  private next = 0;

  constructor(readonly brokers: readonly BrokerAddress[], private readonly options: ConnectionOptions = DEFAULT_CONNECTION_OPTIONS) {
    if (!brokers.length) throw new Error('no STOMP broker configured');
  }

  /** Where the list of brokers is, for messages. */
  get labels(): string {
    return this.brokers.map((b) => b.label).join(', ');
  }

  async connect(): Promise<StompConnection> {
    const reasons: string[] = [];
    const first = this.next;
    for (let i = 0; i < this.brokers.length; i++) {
      const index = (first + i) % this.brokers.length;
      try {
        const connection = await StompConnection.open(this.brokers[index], this.options);
        // Next time, start with this broker again: it worked. After a failure the caller asks again and we go on.
        this.next = index;
        return connection;
      } catch (error) {
        reasons.push((error as Error).message);
        if (!(error instanceof ConnectionLost)) throw error;
        this.next = (index + 1) % this.brokers.length;
      }
    }
    throw new ConnectionLost(reasons.join('; '));
  }

  /** After a connection to the current broker was lost: the next connect starts with the following one. */
  skipCurrent(): void {
    if (this.brokers.length > 1) this.next = (this.next + 1) % this.brokers.length;
  }
}
