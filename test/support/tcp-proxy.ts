/**
 * A TCP proxy in front of the shared MariaDB, so a test can take "the database" away from a process without
 * touching the server other tests use: `refuse()` (connections reset, new ones refused: a stopped or dropped
 * server) or `freeze()` (nothing answers any more: a server or network that hangs). It can also do so at an exact
 * point of the MySQL conversation (`cutAfter`), seen in the clear-text queries that go through it.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Resets every connection and refuses new ones. */
  refuse(): void;
  /** Keeps every connection open but forwards nothing more, either way, and accepts new ones without answering. */
  freeze(): void;
  /**
   * Once a client sends a query containing `query`, waits for the COMMIT that follows on the same connection,
   * passes the server's answer to it back, then takes the database away (`how`). Resolves when that happened.
   */
  cutAfter(query: string, how: 'refuse' | 'freeze'): Promise<void>;
  close(): Promise<void>;
}

interface Pair { client: Socket; upstream: Socket; watching: boolean; cutOnAnswer: boolean }

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  const held = new Set<Socket>();
  let state: 'open' | 'refused' | 'frozen' = 'open';
  let trigger: { query: string; how: 'refuse' | 'freeze'; done: () => void } | null = null;

  const refuse = () => {
    state = 'refused';
    server.close();
    for (const { client, upstream } of pairs) { client.destroy(); upstream.destroy(); }
    for (const socket of held) socket.destroy();
    pairs.clear();
  };
  const freeze = () => {
    state = 'frozen';
    for (const { client, upstream } of pairs) { client.pause(); upstream.pause(); }
  };

  const server: Server = createServer((client) => {
    if (state !== 'open') {
      // Frozen: accepted, never answered (the MySQL handshake never comes). Refused: the server is closed already.
      held.add(client);
      client.on('error', () => undefined);
      client.on('close', () => held.delete(client));
      return;
    }
    const upstream = connect(target.port, target.host);
    const pair: Pair = { client, upstream, watching: false, cutOnAnswer: false };
    pairs.add(pair);
    const forget = () => { pairs.delete(pair); client.destroy(); upstream.destroy(); };
    client.on('error', forget).on('close', forget);
    upstream.on('error', forget).on('close', forget);
    client.on('data', (chunk: Buffer) => {
      if (state !== 'open') return;
      const text = chunk.toString('latin1');
      if (trigger && text.includes(trigger.query)) pair.watching = true;
      else if (trigger && pair.watching && /COMMIT/i.test(text)) pair.cutOnAnswer = true;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (state !== 'open') return;
      if (!pair.cutOnAnswer || !trigger) {
        client.write(chunk);
        return;
      }
      const { how, done } = trigger;
      trigger = null;
      // Nothing more reaches the server from now on; the answer to the COMMIT is delivered, then the cut.
      state = how === 'refuse' ? 'refused' : 'frozen';
      client.write(chunk, () => {
        if (how === 'refuse') refuse(); else freeze();
        done();
      });
    });
  });
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
  return {
    port, refuse, freeze,
    cutAfter: (query, how) => new Promise((resolve) => { trigger = { query, how, done: resolve }; }),
    close: async () => {
      refuse();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
