/**
 * The policy check language (the oslo.policy grammar): checks combined with `and`, `or`, `not` and parentheses.
 *
 * - `@` always passes, `!` never passes, an empty rule passes.
 * - `rule:NAME` passes when the rule NAME passes (an unknown rule fails).
 * - `role:NAME` passes when the caller has the role (case-insensitive).
 * - `KEY:VALUE` (e.g. `is_admin:True`, `project_id:%(project_id)s`, `user_id:%(target.lease.user_id)s`) compares
 *   the caller's credential KEY (dotted paths allowed) with VALUE, in which `%(name)s` is replaced by the target's
 *   value; a missing value fails. A credential that is a list passes when it contains VALUE. When KEY is itself
 *   a literal (`'member'`, `True`, a number), it is compared with VALUE instead.
 *
 * `not` binds tighter than `and`, which binds tighter than `or`.
 */

export type Check =
  | { kind: 'always' }
  | { kind: 'never' }
  | { kind: 'rule'; name: string }
  | { kind: 'role'; role: string }
  | { kind: 'generic'; key: string; value: string }
  | { kind: 'not'; check: Check }
  | { kind: 'and'; checks: Check[] }
  | { kind: 'or'; checks: Check[] };

export class PolicySyntaxError extends Error {
  constructor(rule: string, reason: string) {
    super(`invalid policy check "${rule}": ${reason}`);
    this.name = 'PolicySyntaxError';
  }
}

const KEYWORDS = new Set(['and', 'or', 'not']);

/** Splits on whitespace outside quotes, then peels grouping parentheses off the ends of each word. */
function tokenize(rule: string): string[] {
  const words: string[] = [];
  let word = '';
  let quote: string | null = null;
  for (const ch of rule) {
    if (quote) {
      word += ch;
      if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      word += ch;
    } else if (/\s/.test(ch)) {
      if (word) words.push(word);
      word = '';
    } else {
      word += ch;
    }
  }
  if (quote) throw new PolicySyntaxError(rule, 'unterminated quote');
  if (word) words.push(word);

  const tokens: string[] = [];
  for (let w of words) {
    while (w.startsWith('(')) {
      tokens.push('(');
      w = w.slice(1);
    }
    // A ")" closes a group only when it is not balancing a "(" inside the word, as in %(project_id)s.
    let closing = 0;
    const count = (s: string, c: string) => s.split(c).length - 1;
    while (w.endsWith(')') && count(w, ')') > count(w, '(')) {
      closing += 1;
      w = w.slice(0, -1);
    }
    if (w) tokens.push(w);
    for (let i = 0; i < closing; i++) tokens.push(')');
  }
  return tokens;
}

/** Parses a check string; throws PolicySyntaxError with the reason. */
export function parseCheck(rule: string): Check {
  const tokens = tokenize(rule);
  if (tokens.length === 0) return { kind: 'always' };
  let pos = 0;
  const peek = () => tokens[pos];
  const isWord = (word: string) => peek() !== undefined && peek().toLowerCase() === word;

  const parseOr = (): Check => {
    const checks = [parseAnd()];
    while (isWord('or')) {
      pos++;
      checks.push(parseAnd());
    }
    return checks.length === 1 ? checks[0] : { kind: 'or', checks };
  };
  const parseAnd = (): Check => {
    const checks = [parseNot()];
    while (isWord('and')) {
      pos++;
      checks.push(parseNot());
    }
    return checks.length === 1 ? checks[0] : { kind: 'and', checks };
  };
  const parseNot = (): Check => {
    if (isWord('not')) {
      pos++;
      return { kind: 'not', check: parseNot() };
    }
    return parseAtom();
  };
  const parseAtom = (): Check => {
    const token = tokens[pos++];
    if (token === undefined) throw new PolicySyntaxError(rule, 'unexpected end');
    if (token === '(') {
      const inner = parseOr();
      if (tokens[pos++] !== ')') throw new PolicySyntaxError(rule, 'missing ")"');
      return inner;
    }
    if (token === ')') throw new PolicySyntaxError(rule, 'unexpected ")"');
    if (KEYWORDS.has(token.toLowerCase())) throw new PolicySyntaxError(rule, `"${token}" where a check was expected`);
    return parseSingle(rule, token);
  };

  const check = parseOr();
  if (pos < tokens.length) throw new PolicySyntaxError(rule, `unexpected "${tokens[pos]}"`);
  return check;
}

function parseSingle(rule: string, token: string): Check {
  if (token === '@') return { kind: 'always' };
  if (token === '!') return { kind: 'never' };
  const colon = token.indexOf(':');
  if (colon <= 0 || colon === token.length - 1) {
    throw new PolicySyntaxError(rule, `"${token}" is not a check (expected KIND:VALUE, "@" or "!")`);
  }
  const kind = token.slice(0, colon);
  const value = token.slice(colon + 1);
  if (kind === 'rule') return { kind: 'rule', name: value };
  if (kind === 'role') return { kind: 'role', role: value };
  if (kind === 'http' || kind === 'https') throw new PolicySyntaxError(rule, 'remote (http) checks are not supported');
  return { kind: 'generic', key: kind, value };
}

/** What checks are evaluated against. */
export interface CheckInput {
  /** The caller's credentials: user_id, project_id, roles, is_admin, ... */
  credentials: Readonly<Record<string, unknown>>;
  /** The object acted on: project_id, user_id, ... (nested objects allowed). */
  target: Readonly<Record<string, unknown>>;
  /** Evaluates another rule by name (false when unknown). */
  rule(name: string, depth: number): boolean;
}

const MAX_DEPTH = 50;

export function evaluate(check: Check, input: CheckInput, depth = 0): boolean {
  switch (check.kind) {
    case 'always': return true;
    case 'never': return false;
    case 'not': return !evaluate(check.check, input, depth);
    case 'and': return check.checks.every((c) => evaluate(c, input, depth));
    case 'or': return check.checks.some((c) => evaluate(c, input, depth));
    case 'rule': return depth < MAX_DEPTH && input.rule(check.name, depth + 1);
    case 'role': {
      const role = interpolate(check.role, input.target);
      if (role === undefined) return false;
      const roles = input.credentials.roles;
      const wanted = role.toLowerCase();
      return Array.isArray(roles) && roles.some((r) => String(r).toLowerCase() === wanted);
    }
    case 'generic': {
      const match = interpolate(check.value, input.target);
      if (match === undefined) return false;
      const literal = literalValue(check.key);
      if (literal !== undefined) return literal === match;
      const value = lookup(input.credentials, check.key);
      if (value === undefined || value === null) return false;
      if (Array.isArray(value)) return value.some((v) => asText(v) === match);
      return asText(value) === match;
    }
  }
}

/** Booleans are written True/False in rules (the Python spelling). */
function asText(value: unknown): string {
  if (value === true) return 'True';
  if (value === false) return 'False';
  return String(value);
}

/** The text of a literal key ('member', "member", True, 3), or undefined when the key names a credential. */
function literalValue(key: string): string | undefined {
  const quoted = /^'(.*)'$/s.exec(key) ?? /^"(.*)"$/s.exec(key);
  if (quoted) return quoted[1];
  if (key === 'True' || key === 'False') return key;
  if (/^-?\d+(\.\d+)?$/.test(key)) return key;
  return undefined;
}

/** A value by key, or by dotted path through nested objects. */
function lookup(object: Readonly<Record<string, unknown>>, key: string): unknown {
  if (Object.hasOwn(object, key)) return object[key];
  let current: unknown = object;
  for (const part of key.split('.')) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/** Replaces each %(name)s by the target's value; undefined when one is missing (the check then fails). */
function interpolate(text: string, target: Readonly<Record<string, unknown>>): string | undefined {
  if (!text.includes('%(')) return text;
  let missing = false;
  const out = text.replace(/%\(([^)]+)\)s/g, (_all, name: string) => {
    const value = lookup(target, name);
    if (value === undefined || value === null) {
      missing = true;
      return '';
    }
    return asText(value);
  });
  return missing ? undefined : out;
}

/** The check back as text (normalised), for messages and the sample file. */
export function formatCheck(check: Check): string {
  const inner = (c: Check) => (c.kind === 'and' || c.kind === 'or' ? `(${formatCheck(c)})` : formatCheck(c));
  switch (check.kind) {
    case 'always': return '@';
    case 'never': return '!';
    case 'rule': return `rule:${check.name}`;
    case 'role': return `role:${check.role}`;
    case 'generic': return `${check.key}:${check.value}`;
    case 'not': return `not ${inner(check.check)}`;
    case 'and': return check.checks.map(inner).join(' and ');
    case 'or': return check.checks.map((c) => (c.kind === 'or' ? `(${formatCheck(c)})` : formatCheck(c))).join(' or ');
  }
}
