import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RequestContext } from '../../../src/auth';
import { BLAZAR_RULE_ALIASES, DEFAULT_RULES, Policy } from '../../../src/auth/policy';
import { createLogger, type Logger } from '../../../src/common';

function ctx(roles: string[], projectId: string | null = 'p1'): RequestContext {
  return { userId: 'u1', projectId, roles, isAdmin: roles.includes('admin'), requestId: 'req-test' };
}

/** A logger that keeps its lines as parsed JSON (what `climate-manage upgrade check` does with the warnings). */
function recordingLogger(): { logger: Logger; lines: { level: string; message: string; [k: string]: unknown }[] } {
  const lines: { level: string; message: string }[] = [];
  return { lines, logger: createLogger({ format: 'json', level: 'debug', write: (line) => lines.push(JSON.parse(line)) }) };
}

describe('policy file: rule names Climate does not know, and Blazar names', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'climate-policy-names-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  };

  it("applies an operator's Blazar policy.yaml: blazar:* names act on Climate's rules, Blazar's base rules resolve", () => {
    const file = write('blazar.yaml', [
      '"admin": "is_admin:True or role:admin"',
      '"blazar:oshosts:get": "rule:admin or role:operator"',
      // Blazar's base rules are referred to without being defined in the file, as in Blazar's own sample.
      '"blazar:leases:get": "rule:project_reader_or_admin"',
      '"blazar:leases:delete": "rule:admin_or_owner"',
      '"blazar:floatingips:post": "rule:admin or role:netops"',
    ].join('\n'));
    const { logger, lines } = recordingLogger();
    const policy = Policy.fromFile(file, logger);
    expect(policy.check(ctx(['operator']), 'climate:oshosts:get')).toBe(true);
    expect(policy.check(ctx(['member']), 'climate:oshosts:get')).toBe(false);
    expect(policy.check(ctx(['netops']), 'climate:floatingips:post')).toBe(true);
    // Blazar's project_reader_api wants the reader role: a member alone no longer reads (Climate's default lets it).
    expect(policy.check(ctx(['reader']), 'climate:leases:get', { project_id: 'p1' })).toBe(true);
    expect(policy.check(ctx(['member']), 'climate:leases:get', { project_id: 'p1' })).toBe(false);
    // admin_or_owner: any role in the owning project.
    expect(policy.check(ctx([]), 'climate:leases:delete', { project_id: 'p1' })).toBe(true);
    expect(policy.check(ctx([]), 'climate:leases:delete', { project_id: 'p2' })).toBe(false);
    expect(lines.filter((l) => l.level === 'WARNING')).toEqual([]);
    expect(lines).toContainEqual(expect.objectContaining({
      level: 'INFO', message: expect.stringContaining('blazar:oshosts:get as climate:oshosts:get'),
    }));
  });

  it('maps every Blazar rule for an API Climate serves to an existing Climate rule', () => {
    const climate = new Set(DEFAULT_RULES.map((r) => r.name));
    for (const [blazar, ours] of Object.entries(BLAZAR_RULE_ALIASES)) {
      expect([blazar, climate.has(ours)]).toEqual([blazar, true]);
      expect(ours.replace(/^climate:/, 'blazar:')).toBe(blazar);
    }
  });

  it('warns once per rule name that has no effect, naming it, with "did you mean" when one is close', () => {
    const file = write('typos.yaml', [
      '"climate:lease:delete": "!"',
      '"blazr:oshosts:post": "@"',
      '"blazar:networks:get": "rule:admin"',
      '"something_else": "role:x"',
      // A base rule of the file, referred to by another: not a typo.
      '"auditor": "role:auditor"',
      '"climate:floatingips:get": "rule:admin or rule:auditor or rule:admn"',
    ].join('\n'));
    const { logger, lines } = recordingLogger();
    const policy = Policy.fromFile(file, logger);
    const warnings = lines.filter((l) => l.level === 'WARNING');
    expect(warnings.map((w) => w.rule)).toEqual(['climate:lease:delete', 'blazr:oshosts:post', 'blazar:networks:get', 'something_else', 'admn']);
    expect(warnings[0].message).toBe(`policy file ${file}: rule "climate:lease:delete" is not a rule Climate knows and no rule refers to it; `
      + 'it has no effect (did you mean "climate:leases:delete"?)');
    expect(warnings[1]).toEqual(expect.objectContaining({ suggestion: 'blazar:oshosts:post', file }));
    expect(warnings[2].message).toMatch(/"blazar:networks:get" is a Blazar rule for an API Climate does not have; it has no effect$/);
    expect(warnings[3].suggestion).toBeUndefined();
    expect(warnings[4].message).toMatch(/rule "climate:floatingips:get" refers to rule "admn", which is not defined.*did you mean "admin"/);
    // The typo changed nothing: the default stands.
    expect(policy.check(ctx(['member']), 'climate:leases:delete', { project_id: 'p1' })).toBe(true);
    expect(policy.check(ctx(['auditor']), 'climate:floatingips:get')).toBe(true);
  });

  it("keeps Climate's name when a file sets both names of a rule, and says so", () => {
    const file = write('both.yaml', '"blazar:oshosts:get": "@"\n"climate:oshosts:get": "role:operator"\n');
    const { logger, lines } = recordingLogger();
    const policy = Policy.fromFile(file, logger);
    expect(policy.check(ctx(['member']), 'climate:oshosts:get')).toBe(false);
    expect(policy.check(ctx(['operator']), 'climate:oshosts:get')).toBe(true);
    expect(lines.filter((l) => l.level === 'WARNING')).toEqual([expect.objectContaining({
      rule: 'blazar:oshosts:get', message: expect.stringContaining('"climate:oshosts:get", Climate\'s name for it, is set too'),
    })]);
  });
});
