import * as fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { Forbidden, type Logger } from '../../common';
import type { RequestContext } from '../context';
import { evaluate, parseCheck, PolicySyntaxError, type Check } from './checks';
import { BLAZAR_BASE_RULES } from './blazar';
import { DEFAULT_RULES, type RuleDefault } from './defaults';
import { resolveFileRules } from './file-rules';

/** The object a rule is checked against: project_id and user_id of the lease, and anything else a rule names. */
export type PolicyTarget = Readonly<Record<string, unknown>>;

/** A policy file that cannot be used: names the file and the rule. */
export class PolicyFileError extends Error {
  constructor(file: string, reason: string, options?: { cause?: unknown }) {
    super(`policy file ${file}: ${reason}`, options);
    this.name = 'PolicyFileError';
  }
}

export interface PolicyOptions {
  /** Rules replacing the defaults (and extra base rules), by name, as check strings. */
  overrides?: Readonly<Record<string, string>>;
  /** Where the overrides came from, for messages. */
  source?: string;
  defaults?: readonly RuleDefault[];
  logger?: Logger;
}

/** The credentials rules see, from a request context. */
export function credentialsOf(ctx: RequestContext): Record<string, unknown> {
  return {
    user_id: ctx.userId,
    project_id: ctx.projectId,
    roles: ctx.roles,
    is_admin: ctx.isAdmin,
    user_name: ctx.userName ?? null,
    user_domain_id: ctx.userDomainId ?? null,
    project_name: ctx.projectName ?? null,
    project_domain_id: ctx.projectDomainId ?? null,
    domain_id: ctx.domainId ?? null,
    trust_id: ctx.trustId ?? null,
  };
}

/**
 * Decides what a caller may do: Climate's default rules, overridden rule by rule from policy.yaml
 * (`[oslo_policy] policy_file`). A denial is a 403 worded as Blazar words it.
 */
export class Policy {
  private readonly checks = new Map<string, Check>();
  private readonly text = new Map<string, string>();
  private readonly defaults: readonly RuleDefault[];

  constructor(options: PolicyOptions = {}) {
    this.defaults = options.defaults ?? DEFAULT_RULES;
    // Blazar's base rules first, so that Climate's own defaults win a shared name ("admin").
    for (const rule of [...BLAZAR_BASE_RULES, ...this.defaults]) this.set(rule.name, rule.check, 'defaults');
    for (const [name, check] of Object.entries(options.overrides ?? {})) {
      this.set(name, check, options.source ?? 'overrides');
    }
  }

  /**
   * The defaults overridden by a YAML (or JSON) file of `"rule name": "check"` lines. Blazar's rule names are
   * taken as Climate's; each name that has no effect is warned about through `logger` (see resolveFileRules).
   * @throws PolicyFileError when the file cannot be read or parsed, or a rule is not a valid check string
   */
  static fromFile(file: string, logger?: Logger): Policy {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new PolicyFileError(file, code === 'ENOENT' ? 'not found' : `cannot be read (${code ?? String(error)})`, { cause: error });
    }
    let parsed: unknown;
    try {
      parsed = parseYaml(text) ?? {};
    } catch (error) {
      throw new PolicyFileError(file, `not valid YAML: ${(error as Error).message}`, { cause: error });
    }
    if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new PolicyFileError(file, 'expected a mapping of rule names to check strings');
    const overrides: Record<string, string> = {};
    for (const [name, check] of Object.entries(parsed as Record<string, unknown>)) {
      if (typeof check !== 'string') {
        throw new PolicyFileError(file, `rule "${name}": expected a check string such as "role:admin", got ${JSON.stringify(check)}`);
      }
      overrides[name] = check;
    }
    const known = new Set([...DEFAULT_RULES, ...BLAZAR_BASE_RULES].map((r) => r.name));
    return new Policy({ overrides: resolveFileRules(file, overrides, known, logger), source: file, logger });
  }

  private set(name: string, check: string, source: string): void {
    try {
      this.checks.set(name, parseCheck(check));
      this.text.set(name, check);
    } catch (error) {
      if (error instanceof PolicySyntaxError) throw new PolicyFileError(source, `rule "${name}": ${error.message}`);
      throw error;
    }
  }

  /** The check string in force for a rule, or undefined. */
  ruleText(name: string): string | undefined {
    return this.text.get(name);
  }

  /**
   * Whether `ctx` may perform `rule` on `target` (default target: the caller's own project and user).
   * @throws Error for a rule Climate does not know (a programming error, not a denial)
   */
  check(ctx: RequestContext, rule: string, target?: PolicyTarget): boolean {
    const check = this.checks.get(rule);
    if (!check) throw new Error(`policy rule "${rule}" is not registered`);
    const credentials = credentialsOf(ctx);
    const input = {
      credentials,
      target: target ?? { project_id: ctx.projectId, user_id: ctx.userId },
      rule: (name: string, depth: number): boolean => {
        const referenced = this.checks.get(name);
        return referenced ? evaluate(referenced, input, depth) : false;
      },
    };
    return evaluate(check, input);
  }

  /** Refuses with 403 "Policy doesn't allow <rule> to be performed." unless `check` passes. */
  enforce(ctx: RequestContext, rule: string, target?: PolicyTarget): void {
    if (!this.check(ctx, rule, target)) throw new Forbidden(`Policy doesn't allow ${rule} to be performed.`);
  }
}
