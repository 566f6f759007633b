import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RequestContext } from '../../../src/auth';
import {
  DEFAULT_RULES, evaluate, formatCheck, parseCheck, Policy, PolicyFileError, POLICY_SAMPLE_PATH, PolicySyntaxError,
  renderPolicySample, type Check,
} from '../../../src/auth/policy';
import { Forbidden } from '../../../src/common';

const REPO_ROOT = path.resolve(__dirname, '../../..');

function ctx(roles: string[], projectId: string | null = 'p1', extra: Partial<RequestContext> = {}): RequestContext {
  return { userId: 'u1', projectId, roles, isAdmin: roles.includes('admin'), requestId: 'req-test', ...extra };
}

/** Evaluates a check string with the given credentials and target (rules from `rules`). */
function check(rule: string, credentials: Record<string, unknown>, target: Record<string, unknown> = {}, rules: Record<string, string> = {}): boolean {
  const parsed = Object.fromEntries(Object.entries(rules).map(([k, v]) => [k, parseCheck(v)]));
  const input = {
    credentials, target,
    rule: (name: string, depth: number): boolean => (parsed[name] ? evaluate(parsed[name], input, depth) : false),
  };
  return evaluate(parseCheck(rule), input);
}

describe('policy language: parsing', () => {
  it.each<[string, Check]>([
    ['', { kind: 'always' }],
    ['   ', { kind: 'always' }],
    ['@', { kind: 'always' }],
    ['!', { kind: 'never' }],
    ['role:admin', { kind: 'role', role: 'admin' }],
    ['rule:admin_api', { kind: 'rule', name: 'admin_api' }],
    ['is_admin:True', { kind: 'generic', key: 'is_admin', value: 'True' }],
    ['project_id:%(project_id)s', { kind: 'generic', key: 'project_id', value: '%(project_id)s' }],
    ['not role:a', { kind: 'not', check: { kind: 'role', role: 'a' } }],
    ['role:a or role:b and role:c', { kind: 'or', checks: [{ kind: 'role', role: 'a' }, { kind: 'and', checks: [{ kind: 'role', role: 'b' }, { kind: 'role', role: 'c' }] }] }],
    ['(role:a or role:b) and role:c', { kind: 'and', checks: [{ kind: 'or', checks: [{ kind: 'role', role: 'a' }, { kind: 'role', role: 'b' }] }, { kind: 'role', role: 'c' }] }],
    ['(project_id:%(project_id)s)', { kind: 'generic', key: 'project_id', value: '%(project_id)s' }],
    ['((role:a))', { kind: 'role', role: 'a' }],
    ['not not role:a', { kind: 'not', check: { kind: 'not', check: { kind: 'role', role: 'a' } } }],
    ['role:a AND role:b', { kind: 'and', checks: [{ kind: 'role', role: 'a' }, { kind: 'role', role: 'b' }] }],
    ["'member':%(role.name)s", { kind: 'generic', key: "'member'", value: '%(role.name)s' }],
    ["name:'two words'", { kind: 'generic', key: 'name', value: "'two words'" }],
  ])('%j', (text, expected) => {
    expect(parseCheck(text)).toEqual(expected);
  });

  it.each([
    ['role:a or', /unexpected end/],
    ['(role:a', /missing "\)"/],
    ['role:a)', /unexpected "\)"/],
    ['and role:a', /"and" where a check was expected/],
    ['role:a role:b', /unexpected "role:b"/],
    ['admin', /not a check/],
    ['role:', /not a check/],
    ['http://example.com/check', /remote \(http\) checks are not supported/],
    ["name:'open", /unterminated quote/],
  ])('refuses %j', (text, message) => {
    expect(() => parseCheck(text)).toThrow(PolicySyntaxError);
    expect(() => parseCheck(text)).toThrow(message);
  });

  it('prints checks back in a form that parses to the same thing', () => {
    for (const text of ['role:a or role:b and not role:c', '(role:a or role:b) and project_id:%(project_id)s', 'not (role:a and role:b)', '@', '!']) {
      const parsed = parseCheck(text);
      expect(parseCheck(formatCheck(parsed))).toEqual(parsed);
    }
  });
});

describe('policy language: evaluation', () => {
  const creds = { user_id: 'u1', project_id: 'p1', roles: ['Member', 'reader'], is_admin: false, nested: { id: 'n1' } };

  it.each<[string, Record<string, unknown>, boolean]>([
    ['@', {}, true],
    ['!', {}, false],
    ['role:member', {}, true], // roles compare case-insensitively
    ['role:MEMBER', {}, true],
    ['role:admin', {}, false],
    ['role:%(wanted)s', { wanted: 'reader' }, true],
    ['role:%(wanted)s', {}, false],
    ['project_id:%(project_id)s', { project_id: 'p1' }, true],
    ['project_id:%(project_id)s', { project_id: 'p2' }, false],
    ['project_id:%(project_id)s', {}, false], // missing target value: fails
    ['project_id:%(project_id)s', { project_id: null }, false],
    ['user_id:%(target.lease.user_id)s', { target: { lease: { user_id: 'u1' } } }, true],
    ['user_id:%(target.lease.user_id)s', { 'target.lease.user_id': 'u1' }, true], // flattened keys too
    ['nested.id:n1', {}, true],
    ['is_admin:True', {}, false],
    ['is_admin:False', {}, true],
    ['roles:reader', {}, true], // a list credential contains the value
    ['unknown:x', {}, false],
    ["'member':%(role)s", { role: 'member' }, true],
    ["'member':%(role)s", { role: 'admin' }, false],
    ['True:%(flag)s', { flag: true }, true],
    ['role:reader and not role:admin', {}, true],
    ['role:admin or project_id:%(project_id)s', { project_id: 'p1' }, true],
    ['not (role:admin or role:reader)', {}, false],
  ])('%s with target %j is %s', (rule, target, expected) => {
    expect(check(rule, creds, target)).toBe(expected);
  });

  it('follows rule references; an unknown rule fails; a loop fails instead of hanging', () => {
    const rules = { a: 'rule:b', b: 'role:reader', loop: 'rule:loop', lp1: 'rule:lp2 or role:nothing', lp2: 'rule:lp1' };
    expect(check('rule:a', creds, {}, rules)).toBe(true);
    expect(check('rule:missing', creds, {}, rules)).toBe(false);
    expect(check('not rule:missing', creds, {}, rules)).toBe(true);
    expect(check('rule:loop', creds, {}, rules)).toBe(false);
    expect(check('rule:lp1', creds, {}, rules)).toBe(false);
  });
});

describe('Policy: default rules', () => {
  const policy = new Policy();
  const own = { project_id: 'p1', user_id: 'someone' };
  const other = { project_id: 'p2', user_id: 'someone' };

  it.each<[string, string[], Record<string, unknown>, boolean]>([
    ['climate:leases:get', ['reader'], own, true],
    ['climate:leases:get', ['member'], own, true],
    ['climate:leases:get', ['reader'], other, false],
    ['climate:leases:get', [], own, false],
    ['climate:leases:get', ['admin'], other, true],
    ['climate:leases:post', ['reader'], own, false],
    ['climate:leases:post', ['member', 'reader'], own, true],
    ['climate:leases:put', ['member'], own, true],
    ['climate:leases:put', ['reader'], own, false],
    ['climate:leases:put', ['member'], other, false],
    ['climate:leases:delete', ['member'], own, true],
    ['climate:leases:delete', ['admin'], other, true],
    ['climate:oshosts:get', ['member', 'reader'], own, false],
    ['climate:oshosts:get', ['admin'], own, true],
    ['climate:oshosts:post', ['Admin'], own, true],
    ['climate:floatingips:post', ['member'], own, false],
  ])('%s for roles %j on %j: %s', (rule, roles, target, expected) => {
    expect(policy.check(ctx(roles), rule, target)).toBe(expected);
  });

  it('denies with Blazar\'s 403 message', () => {
    expect(() => policy.enforce(ctx(['member']), 'climate:oshosts:get')).toThrow(new Forbidden("Policy doesn't allow climate:oshosts:get to be performed."));
    expect(() => policy.enforce(ctx(['admin']), 'climate:oshosts:get')).not.toThrow();
  });

  it('checks against the caller\'s own project and user when given no target', () => {
    expect(policy.check(ctx(['member']), 'climate:leases:post')).toBe(true);
    expect(policy.check(ctx(['member'], null), 'climate:leases:post')).toBe(false);
  });

  it('treats an unregistered rule name as a programming error', () => {
    expect(() => policy.check(ctx(['admin']), 'climate:leases:typo')).toThrow('policy rule "climate:leases:typo" is not registered');
  });

  it('every default parses, and each API rule lives in Climate\'s namespace with the operations it guards', () => {
    for (const rule of DEFAULT_RULES) {
      expect(() => parseCheck(rule.check)).not.toThrow();
      if (rule.operations) expect(rule.name).toMatch(/^climate:[a-z]+:[a-z_]+$/);
      expect(rule.description.length).toBeGreaterThan(10);
    }
  });
});

describe('Policy: overrides from policy.yaml', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'climate-policy-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  };

  it('replaces rules by name and keeps the other defaults; new base rules can be referenced', () => {
    const file = write('policy.yaml', [
      '# operators let auditors see hosts',
      '"auditor": "role:auditor"',
      '"climate:oshosts:get": "rule:admin or rule:auditor"',
      'climate:leases:delete: "!"',
    ].join('\n'));
    const policy = Policy.fromFile(file);
    expect(policy.check(ctx(['auditor']), 'climate:oshosts:get')).toBe(true);
    expect(policy.check(ctx(['member']), 'climate:oshosts:get')).toBe(false);
    expect(policy.check(ctx(['admin']), 'climate:leases:delete')).toBe(false);
    expect(policy.check(ctx(['member']), 'climate:leases:post')).toBe(true);
    expect(policy.ruleText('climate:leases:delete')).toBe('!');
  });

  it('changing a base rule changes every rule that refers to it', () => {
    const policy = Policy.fromFile(write('admin.yaml', 'admin: "role:admin or role:cloud-admin"\n'));
    expect(policy.check(ctx(['cloud-admin']), 'climate:oshosts:delete')).toBe(true);
    expect(policy.check(ctx(['cloud-admin'], 'p1'), 'climate:leases:get', { project_id: 'elsewhere' })).toBe(true);
  });

  it('reads JSON policy files too, and an empty file means the defaults', () => {
    expect(Policy.fromFile(write('p.json', '{"climate:oshosts:get": "@"}')).check(ctx([]), 'climate:oshosts:get')).toBe(true);
    expect(Policy.fromFile(write('empty.yaml', '# nothing\n')).check(ctx([]), 'climate:oshosts:get')).toBe(false);
  });

  it('refuses unusable files with the file and the rule in the message', () => {
    expect(() => Policy.fromFile(path.join(dir, 'missing.yaml'))).toThrow(/missing\.yaml: not found/);
    expect(() => Policy.fromFile(write('bad-check.yaml', '"climate:leases:get": "role:a or"\n')))
      .toThrow(/bad-check\.yaml: rule "climate:leases:get": invalid policy check "role:a or": unexpected end/);
    expect(() => Policy.fromFile(write('list.yaml', '"climate:leases:get": [["role:a"]]\n'))).toThrow(/expected a check string/);
    expect(() => Policy.fromFile(write('seq.yaml', '- a\n- b\n'))).toThrow(PolicyFileError);
    expect(() => Policy.fromFile(write('yaml.yaml', 'a: "b\n'))).toThrow(/not valid YAML/);
  });
});

describe('policy sample', () => {
  const sample = renderPolicySample();

  it(`matches the committed ${POLICY_SAMPLE_PATH} (regenerate: climate-manage policy sample --output-file ${POLICY_SAMPLE_PATH})`, () => {
    expect(fs.readFileSync(path.join(REPO_ROOT, POLICY_SAMPLE_PATH), 'utf8')).toBe(sample);
  });

  it('lists every default, commented out, with its description; uncommented it is a valid policy file', () => {
    for (const rule of DEFAULT_RULES) expect(sample).toContain(`#${JSON.stringify(rule.name)}: ${JSON.stringify(rule.check)}\n`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'climate-policy-sample-'));
    try {
      const file = path.join(dir, 'policy.yaml');
      fs.writeFileSync(file, sample.replace(/^#(".*)$/gm, '$1'));
      const policy = Policy.fromFile(file);
      for (const rule of DEFAULT_RULES) expect(policy.ruleText(rule.name)).toBe(rule.check);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(Math.max(...sample.split('\n').map((l) => (l.startsWith('#"') ? 0 : l.length)))).toBeLessThanOrEqual(79);
  });
});
