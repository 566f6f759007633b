import { Database } from '../../../src/db';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { freePort } from '../../support/processes';

// A URL naming several servers (a Galera cluster's nodes): the first that answers is used. Here the "cluster" is
// a port nothing listens on, then the test MariaDB; the 3-node case, with a node killed, is in
// test/integration/galera-cluster.test.ts.
describe('[database] connection with several servers', () => {
  let database: TestDatabase;
  beforeAll(async () => { database = await createTestDatabase('mariadb'); });
  afterAll(async () => { await database.drop(); });

  it('connects to the next server when the first does not answer, and says so', async () => {
    const url = new URL(database.url);
    const dead = await freePort();
    const moves: string[] = [];
    const db = new Database({
      connection: `mysql://root@127.0.0.1:${dead},${url.host}${url.pathname}`,
      onFailover: (from, to) => moves.push(`${from} -> ${to}`),
    });
    try {
      await db.open();
      const [row] = await db.select<{ port: number }>('SELECT @@port AS port');
      expect(Number(row.port)).toBe(Number(url.port || 3306));
      expect(moves).toEqual([`127.0.0.1:${dead} -> ${url.host}`]);
      // It stays on the server that answered: further connections do not try the dead one first.
      await Promise.all(Array.from({ length: 4 }, () => db.transaction((tx) => db.select('SELECT 1', [], tx))));
      expect(db.failovers).toBe(1);
    } finally {
      await db.close();
    }
  });

  it('fails like a single server when none answers', async () => {
    const db = new Database({ connection: `mysql://root@127.0.0.1:${await freePort()},127.0.0.1:${await freePort()}/climate` });
    await expect(db.open()).rejects.toThrow(/cannot connect to 127\.0\.0\.1:\d+/);
    await db.close().catch(() => undefined);
  });
});
