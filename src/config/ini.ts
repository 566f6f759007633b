import { ConfigError } from './errors';

/** One `key = value` assignment as it appeared in the file. */
export interface IniEntry {
  /** The value with surrounding whitespace (and one pair of matching quotes) removed; continuation lines joined by "\n". */
  readonly value: string;
  /** 1-based line of the key, for error messages. */
  readonly line: number;
}

/** A parsed INI file: section name -> option name -> entry, in file order. */
export interface IniFile {
  /** Name the file was parsed under (its path), used in error messages. */
  readonly source: string;
  readonly sections: ReadonlyMap<string, ReadonlyMap<string, IniEntry>>;
  /** Line of each section's first header, for errors about a section itself. */
  readonly sectionLines: ReadonlyMap<string, number>;
}

/**
 * Parses INI text the way oslo.config reads OpenStack configuration files, so files written for Blazar parse
 * the same here:
 * - `[section]` headers; a section may appear several times, its options are merged;
 * - `key = value` or `key: value`, split at whichever of `=` and `:` comes first;
 * - lines whose first character is `#` or `;` are comments. There are no end-of-line comments, because
 *   passwords and URLs may contain `#` or `;`;
 * - a line starting with whitespace continues the value above it (joined with "\n"); a blank line ends a value;
 * - keys are case-sensitive; whitespace around keys and values is trimmed; a value wrapped in matching single or
 *   double quotes loses them;
 * - a key given twice in a section: the last one wins.
 *
 * @param text file contents
 * @param source path or label used in error messages
 * @throws ConfigError naming the line, for any line that cannot be understood
 */
export function parseIni(text: string, source = '<string>'): IniFile {
  const sections = new Map<string, Map<string, IniEntry>>();
  const sectionLines = new Map<string, number>();
  let section: Map<string, IniEntry> | undefined;
  // The assignment still open to continuation lines.
  let pending: { key: string; parts: string[]; line: number } | undefined;

  const flush = (): void => {
    // trim: `key =` followed by indented lines should not start with an empty line.
    if (pending && section) section.set(pending.key, { value: unquote(pending.parts.join('\n').trim()), line: pending.line });
    pending = undefined;
  };
  const fail = (line: number, problem: string): never => syntaxError(source, line, problem);

  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (const [index, raw] of lines.entries()) {
    const lineNo = index + 1;
    const line = raw.trimEnd();
    if (line === '') {
      flush();
      continue;
    }
    if (/^\s/.test(line)) {
      const content = line.trim();
      if (pending) {
        pending.parts.push(content);
        continue;
      }
      // oslo would reject this too; indented comments are tolerated because they are harmless and common.
      if (content.startsWith('#') || content.startsWith(';')) continue;
      return fail(lineNo, `unexpected continuation line ${JSON.stringify(content)}: no option above it to continue`);
    }
    flush();
    if (line.startsWith('#') || line.startsWith(';')) continue;
    if (line.startsWith('[')) {
      if (!line.endsWith(']')) return fail(lineNo, `section header ${JSON.stringify(line)} has no closing "]"`);
      const name = line.slice(1, -1).trim();
      if (name === '') return fail(lineNo, 'empty section name "[]"');
      section = sections.get(name) ?? new Map<string, IniEntry>();
      sections.set(name, section);
      if (!sectionLines.has(name)) sectionLines.set(name, lineNo);
      continue;
    }
    const { key, value } = splitAssignment(line) ?? fail(lineNo, `expected "key = value", got ${JSON.stringify(line)}`);
    if (key === '') return fail(lineNo, `missing option name before the value in ${JSON.stringify(line)}`);
    if (!section) return fail(lineNo, `option "${key}" appears before any [section] header`);
    pending = { key, parts: [value], line: lineNo };
  }
  flush();
  return { source, sections, sectionLines };
}

function syntaxError(file: string, line: number, problem: string): never {
  throw new ConfigError(problem, { location: { file, line } });
}

/** Splits at the first `=` or `:`; undefined when the line has neither. */
function splitAssignment(line: string): { key: string; value: string } | undefined {
  const match = /[=:]/.exec(line);
  if (!match) return undefined;
  return { key: line.slice(0, match.index).trim(), value: line.slice(match.index + 1).trim() };
}

/** Operators sometimes quote values (`password = "s3cret"`); oslo strips one pair of matching quotes, so do we. */
function unquote(value: string): string {
  if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value[value.length - 1] === value[0]) {
    return value.slice(1, -1);
  }
  return value;
}
