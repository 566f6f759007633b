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
