import { execSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { RequestContext } from '../../src/auth';
import { systemClock } from '../../src/common';
import { Database, migrateUp } from '../../src/db';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { FlakyPlugin } from '../support/flaky-plugin';
import { managerWorld } from '../support/manager-world';

const ROOT = path.resolve(__dirname, '../..');
const owner: RequestContext = { userId: 'u1', projectId: 'p1', roles: ['member'], isAdmin: false, requestId: 'req-test' };
const CLAIM_MS = 3000;
const POLL_MS = 100;

describe('a manager killed in the middle of an event (MariaDB)', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    if (!existsSync(path.join(ROOT, 'dist/src/manager/index.js'))) execSync('npm run build', { cwd: ROOT, stdio: 'ignore' });
    database = await createTestDatabase('mariadb');
    const db = new Database({ connection: database.url });
    await db.open();
    await migrateUp(db);
    await db.close();
  }, 120_000);
  afterAll(async () => { await database.drop(); });

  it('loses nothing: another manager completes the event once the claim expires', async () => {
    const survivor = await managerWorld(database.url, new FlakyPlugin(), systemClock, { pollIntervalMs: POLL_MS, claimMs: CLAIM_MS });
    const lease = await survivor.leases.create(owner, { name: 'crash', end_date: '2099-01-01 00:00', reservations: [{ resource_type: 'test:flaky' }] });

    const child = spawn(process.execPath, [path.join(__dirname, '../support/manager-child.js'), database.url, String(CLAIM_MS)],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => { if (chunk.toString().includes('STARTED')) resolve(); });
      child.once('exit', (code) => reject(new Error(`manager child exited early (${code})`)));
    });
    const [claimed] = (await survivor.repos.events.listByLeases([lease.id])).filter((e) => e.eventType === 'start_lease');
    expect(claimed.status).toBe('IN_PROGRESS');
    expect(claimed.claimedBy).toBe('doomed-manager');

    child.kill('SIGKILL');
    const killedAt = Date.now();
    survivor.runner.start();
    for (;;) {
      const view = await survivor.leases.get(owner, lease.id);
      if (view.status === 'ACTIVE') break;
      if (Date.now() - killedAt > 20_000) throw new Error(`lease still ${view.status} 20 s after the crash`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const recoveredIn = Date.now() - killedAt;
    // The claim runs out at most CLAIM_MS after its last renewal; the survivor then sees it within a poll.
    expect(recoveredIn).toBeLessThanOrEqual(CLAIM_MS + 500 + 1000);
    const [done] = (await survivor.repos.events.listByLeases([lease.id])).filter((e) => e.eventType === 'start_lease');
    expect(done.status).toBe('DONE');
    await survivor.close();
  }, 60_000);
});
