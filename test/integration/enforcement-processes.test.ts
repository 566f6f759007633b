/**
 * Usage enforcement in the compiled all-in-one (`climate`): the [enforcement] section of climate.conf is read,
 * checks reach the external service, and the manager's periodic job sends the on-end calls queued by the API.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { FakeEnforcementService } from '../support/enforcement-service';
import { bin, ensureBuilt, freePort, waitForOutput } from '../support/processes';

/** Polls `check` every 200 ms until it returns true, or fails after `ms`. */
async function eventually(check: () => boolean, what: string, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('usage enforcement in the all-in-one (compiled)', () => {
  let dir: string;
  let child: ChildProcess | null = null;
  const service = new FakeEnforcementService();

  beforeAll(async () => {
    await ensureBuilt();
    await service.start();
    dir = mkdtempSync(path.join(tmpdir(), 'climate-enforce-'));
  }, 180_000);
  afterAll(async () => {
    child?.kill('SIGKILL');
    await service.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('checks a create against the service and sends on-end for a deleted lease', async () => {
    const port = await freePort();
    const conf = path.join(dir, 'climate.conf');
    writeFileSync(conf, [
      '[DEFAULT]', `port = ${port}`, '', '[database]', `connection = sqlite:///${path.join(dir, 'climate.sqlite')}`, '',
      '[enforcement]', 'enabled_filters = ExternalServiceFilter', `external_service_endpoint = ${service.url}/v1`,
      'external_service_token = from-the-config', '',
    ].join('\n'));
    child = spawn(process.execPath, [bin('climate'), '--config-file', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    await waitForOutput(child, 'manager running as');
    const api = (method: string, url: string, body?: unknown) => fetch(`http://127.0.0.1:${port}${url}`, {
      method, headers: { 'Content-Type': 'application/json', 'X-Project-Id': 'alpha', 'X-User-Id': 'alice', 'X-Roles': 'member' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const lease = { name: 'proc', start_date: '2031-01-01 00:00', end_date: '2031-01-01 12:00', reservations: [], events: [] };

    service.answer('/v1/check-create', { status: 403, body: '{"message": "over the allocation"}' });
    const refused = await api('POST', '/v1/leases', lease);
    expect([refused.status, await refused.json()]).toEqual([403, { error_code: 403, error_message: 'over the allocation', error_name: 403 }]);

    service.answer('/v1/check-create', { status: 204 });
    const created = await api('POST', '/v1/leases', lease);
    expect(created.status).toBe(201);
    const { id } = (await created.json() as { lease: { id: string } }).lease;
    expect((await api('DELETE', `/v1/leases/${id}`)).status).toBe(204);
    await eventually(() => service.callsTo('/v1/on-end').length > 0, 'on-end sent by the manager');
    const [onEnd] = service.callsTo('/v1/on-end');
    expect(onEnd.headers['x-auth-token']).toBe('from-the-config');
    expect(onEnd.body).toMatchObject({ context: { project_id: 'alpha', user_id: 'alice' }, lease: { id, name: 'proc', status: 'PENDING' } });
  }, 120_000);
});
