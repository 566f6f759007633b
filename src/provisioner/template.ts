/**
 * Command templates: `ipmitool -I lanplus -H {bmc_address} -U {bmc_user} chassis power on`.
 *
 * The template is split into arguments once, when the configuration is read, the way a POSIX shell splits
 * words (blanks separate, '...' is literal, "..." allows \" \\ \$ \`, a backslash outside quotes escapes the
 * next character). Then, for each host, every {name} inside an argument is replaced by that value. There is
 * no shell: a value is never split, globbed or interpreted, so it can only ever be (part of) one argument.
 */

/** A piece of one argument: literal text, or a `{name}` to fill in. */
export type Segment = { text: string } | { field: string };

export interface CommandTemplate {
  /** As configured (with placeholders, never values): safe to log. */
  readonly source: string;
  /** One entry per argument; the first is the program. */
  readonly args: readonly (readonly Segment[])[];
  /** Every field the template uses. */
  readonly fields: readonly string[];
}

export class TemplateError extends Error {}

const FIELD = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
/** Words a shell would treat as operators: here they would be passed as plain arguments, which is never what was meant. */
const SHELL_OPERATORS = new Set(['|', '||', '&', '&&', ';', ';;', '>', '>>', '<', '<<', '2>', '2>&1', '>&2', '(', ')']);

export function parseCommandTemplate(source: string): CommandTemplate {
  const args: Segment[][] = [];
  const fields = new Set<string>();
  let current: Segment[] | null = null;
  let text = '';
  let quote: '"' | "'" | null = null;
  let bareWord = '';
  const flushText = () => {
    if (text) (current ??= []).push({ text });
    text = '';
  };
  const endArg = () => {
    flushText();
    if (current) {
      if (SHELL_OPERATORS.has(bareWord) && current.length === 1 && 'text' in current[0] && current[0].text === bareWord) {
        throw new TemplateError(`"${bareWord}" is a shell operator, but commands run without a shell: put pipes and redirections in a script and run that`);
      }
      args.push(current);
    }
    current = null;
    bareWord = '';
  };

  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (quote === "'") {
      if (c === "'") quote = null;
      else if (c === '{' || c === '}') i = brace(source, i, (f) => { flushText(); current!.push({ field: f }); fields.add(f); }, (t) => { text += t; });
      else text += c;
      continue;
    }
    if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && i + 1 < source.length && '"\\$`'.includes(source[i + 1])) text += source[++i];
      else if (c === '{' || c === '}') i = brace(source, i, (f) => { flushText(); current!.push({ field: f }); fields.add(f); }, (t) => { text += t; });
      else text += c;
      continue;
    }
    if (/\s/.test(c)) {
      endArg();
      continue;
    }
    current ??= [];
    if (c === "'" || c === '"') {
      quote = c;
      bareWord = '\0'; // a quoted word is never an operator
    } else if (c === '\\') {
      if (i + 1 >= source.length) throw new TemplateError('ends with a lone backslash');
      text += source[++i];
      bareWord = '\0';
    } else if (c === '{' || c === '}') {
      i = brace(source, i, (f) => { flushText(); current!.push({ field: f }); fields.add(f); }, (t) => { text += t; });
      bareWord = '\0';
    } else {
      text += c;
      if (bareWord !== '\0') bareWord += c;
    }
  }
  if (quote) throw new TemplateError(`has an unclosed ${quote === '"' ? 'double' : 'single'} quote`);
  endArg();
  if (!args.length) throw new TemplateError('is empty');
  const program = args[0];
  if (program.some((s) => 'field' in s)) throw new TemplateError('must start with a program name, not a {placeholder}');
  return { source, args, fields: [...fields] };
}

/** Reads `{name}`, `{{` or `}}` at `i`; returns the index of its last character. */
function brace(source: string, i: number, onField: (name: string) => void, onText: (t: string) => void): number {
  const c = source[i];
  if (source[i + 1] === c) {
    onText(c);
    return i + 1;
  }
  if (c === '}') throw new TemplateError(`has a "}" without "{" at character ${i + 1} (write "}}" for a literal brace)`);
  const end = source.indexOf('}', i + 1);
  if (end < 0) throw new TemplateError(`has a "{" without "}" at character ${i + 1} (write "{{" for a literal brace)`);
  const name = source.slice(i + 1, end);
  if (!FIELD.test(name)) throw new TemplateError(`has an invalid placeholder "{${name}}" (names are letters, digits, "_", "-" and ".")`);
  onField(name);
  return end;
}

/** A value for a placeholder: strings as they are, numbers and booleans as text. */
export type TemplateValues = Readonly<Record<string, string | number | boolean | null | undefined>>;

/**
 * The argv for one host. Throws a TemplateError naming the problem when a field has no value, or when a value
 * would start an argument with "-" (it could be read as an option: argument injection) or holds a NUL byte.
 */
export function renderCommand(template: CommandTemplate, values: TemplateValues): string[] {
  const missing = template.fields.filter((f) => !Object.hasOwn(values, f) || values[f] === null || values[f] === undefined);
  if (missing.length) throw new TemplateError(`no value for ${missing.map((f) => `{${f}}`).join(', ')}`);
  return template.args.map((segments) => {
    let arg = '';
    for (const [index, segment] of segments.entries()) {
      if ('text' in segment) {
        arg += segment.text;
        continue;
      }
      const value = String(values[segment.field]);
      if (value.includes('\0')) throw new TemplateError(`the value of {${segment.field}} contains a NUL byte`);
      if (index === 0 && value.startsWith('-')) {
        throw new TemplateError(`the value of {${segment.field}} starts with "-" and would be read as an option`);
      }
      arg += value;
    }
    return arg;
  });
}
