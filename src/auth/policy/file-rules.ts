import { closestName, type Logger } from '../../common';
import { BLAZAR_RULE_ALIASES } from './blazar';
import { parseCheck, type Check } from './checks';

/** Names of the rules a check refers to with `rule:NAME`. */
function referencedRules(check: Check, into: Set<string>): Set<string> {
  switch (check.kind) {
    case 'rule': into.add(check.name); break;
    case 'not': referencedRules(check.check, into); break;
    case 'and': case 'or': for (const c of check.checks) referencedRules(c, into); break;
    default: break;
  }
  return into;
}

/**
 * The rules of a policy file read as the operator meant them: Blazar's rule names (`blazar:leases:get`) become
 * Climate's, a rule that others refer to is a base rule of the file, and every other name Climate does not know
 * (a typo, a Blazar rule for an API Climate does not have) gets one warning naming it, with the nearest known name
 * when there is one, since it has no effect. A `rule:NAME` that nothing defines gets a warning too: it never holds.
 * Syntax errors are left to the caller, which refuses the file.
 *
 * @param known the rule names Climate defines (its own and Blazar's base rules)
 */
export function resolveFileRules(file: string, rules: Readonly<Record<string, string>>, known: ReadonlySet<string>,
  logger?: Logger): Record<string, string> {
  const resolved: Record<string, string> = {};
  const aliased: string[] = [];
  for (const [name, check] of Object.entries(rules)) {
    const climateName = Object.hasOwn(BLAZAR_RULE_ALIASES, name) ? BLAZAR_RULE_ALIASES[name] : undefined;
    if (!climateName) {
      resolved[name] = check;
      continue;
    }
    if (Object.hasOwn(rules, climateName)) {
      logger?.warning(`policy file ${file}: rule "${name}" is ignored: "${climateName}", Climate's name for it, is set too`,
        { rule: name, file });
      continue;
    }
    resolved[climateName] = check;
    aliased.push(`${name} as ${climateName}`);
  }
  if (aliased.length) logger?.info(`policy file ${file}: Blazar rule names applied: ${aliased.join(', ')}`);

  const references = new Map<string, string>();
  for (const [name, check] of Object.entries(resolved)) {
    let parsed: Check;
    try {
      parsed = parseCheck(check);
    } catch {
      continue;
    }
    for (const ref of referencedRules(parsed, new Set())) if (!references.has(ref)) references.set(ref, name);
  }
  const suggestions = [...known, ...Object.keys(BLAZAR_RULE_ALIASES)];
  const baseRules: string[] = [];
  for (const name of Object.keys(resolved)) {
    if (known.has(name)) continue;
    if (references.has(name)) {
      baseRules.push(name);
      continue;
    }
    const why = name.startsWith('blazar:')
      ? 'is a Blazar rule for an API Climate does not have'
      : 'is not a rule Climate knows and no rule refers to it';
    const hint = closestName(name, suggestions);
    logger?.warning(`policy file ${file}: rule "${name}" ${why}; it has no effect${hint ? ` (did you mean "${hint}"?)` : ''}`,
      { rule: name, file, ...(hint ? { suggestion: hint } : {}) });
  }
  if (baseRules.length) logger?.info(`policy file ${file}: base rules defined for other rules: ${baseRules.join(', ')}`);
  for (const [ref, by] of references) {
    if (known.has(ref) || Object.hasOwn(resolved, ref)) continue;
    const hint = closestName(ref, [...known, ...Object.keys(resolved)]);
    logger?.warning(`policy file ${file}: rule "${by}" refers to rule "${ref}", which is not defined, so that check never holds`
      + `${hint ? ` (did you mean "${hint}"?)` : ''}`, { rule: ref, file, ...(hint ? { suggestion: hint } : {}) });
  }
  return resolved;
}
