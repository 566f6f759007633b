import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { createLogger } from '../../src/common';
import { startTestService, type TestService } from '../support/service';
import { expectError, leaseBody, member } from './helpers';

describe("an operator's Blazar policy.yaml at [oslo_policy] policy_file", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'climate-policy-api-'));
  const file = path.join(dir, 'policy.yaml');
  const lines: { level: string; message: string; rule?: string }[] = [];
  let svc: TestService;
  beforeAll(async () => {
    fs.writeFileSync(file, [
      '"blazar:oshosts:get": "rule:admin or role:member"',
      '"blazar:leases:post": "rule:admin"',
      '"blazar:lease:delete": "!"',
    ].join('\n'));
    const logger = createLogger({ format: 'json', write: (line) => lines.push(JSON.parse(line)) });
    svc = await startTestService({ config: { osloPolicy: { policyFile: file } }, logger });
  });
  afterAll(async () => {
    await svc.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("decides with the Blazar-named rules (members list hosts, only admins create leases)", async () => {
    expect((await request(svc.app).get('/v1/os-hosts').set(member('p1'))).status).toBe(200);
    expectError(await request(svc.app).get('/v1/os-hosts').set({ ...member('p1'), 'X-Roles': 'reader' }), 403);
    const refused = await request(svc.app).post('/v1/leases').set(member('p1')).send(leaseBody('blazar-policy'));
    expectError(refused, 403, "Policy doesn't allow climate:leases:post to be performed.");
  });

  it('warned at start-up about the rule name it does not know', () => {
    expect(lines.filter((l) => l.level === 'WARNING')).toEqual([expect.objectContaining({
      rule: 'blazar:lease:delete', message: expect.stringContaining('(did you mean "blazar:leases:delete"?)'),
    })]);
  });
});
