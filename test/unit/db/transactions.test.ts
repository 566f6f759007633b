import { Database, DatabaseBusy } from '../../../src/db';
import { startTestService, type TestService } from '../../support/service';

describe('write transactions on MariaDB', () => {
  let svc: TestService;
  beforeAll(async () => { svc = await startTestService({ dialect: 'mariadb' }); });
  afterAll(async () => { await svc.close(); });

  // Host picking locks rows and then re-reads them: under REPEATABLE READ the re-read would see the snapshot
  // taken before the lock and miss an allocation committed meanwhile (a double booking).
  it('run READ COMMITTED on every pooled connection', async () => {
    const levels = await Promise.all(Array.from({ length: 6 }, () => svc.services.db.transaction(
      (tx) => svc.services.db.select<{ level: string }>('SELECT @@tx_isolation AS level', [], tx))));
    expect(levels.map(([row]) => row.level)).toEqual(Array(6).fill('READ-COMMITTED'));
  });
});

describe('a transaction that keeps conflicting', () => {
  let svc: TestService;
  beforeAll(async () => { svc = await startTestService({ dialect: 'mariadb' }); });
  afterAll(async () => { await svc.close(); });

  // What a failed Galera certification looks like to the client: a deadlock error, at commit or before.
  const deadlock = () => Object.assign(new Error('Deadlock found when trying to get lock; try restarting transaction'),
    { code: 'ER_LOCK_DEADLOCK', errno: 1213 });

  it('is run again from the start up to max_retries times, then refused with 503', async () => {
    const db = new Database({ connection: svc.services.config.database.connection, maxRetries: 3 });
    try {
      let runs = 0;
      const outcome = db.transaction(async (tx) => {
        runs++;
        await db.execute('UPDATE hosts SET allocation_version = allocation_version + 1', [], tx);
        throw deadlock();
      });
      await expect(outcome).rejects.toBeInstanceOf(DatabaseBusy);
      await expect(outcome).rejects.toMatchObject({ status: 503, code: 'database_busy' });
      expect(runs).toBe(4);
      expect(db.conflicts).toEqual({ retried: 3, givenUp: 1 });
    } finally {
      await db.close();
    }
  });

  it('commits when a later run gets through', async () => {
    const db = new Database({ connection: svc.services.config.database.connection });
    try {
      let runs = 0;
      const answer = await db.transaction(async () => {
        runs++;
        if (runs < 3) throw deadlock();
        return 'done';
      });
      expect(answer).toBe('done');
      expect(db.conflicts).toEqual({ retried: 2, givenUp: 0 });
    } finally {
      await db.close();
    }
  });
});
