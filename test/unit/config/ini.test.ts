import { ConfigError, parseIni } from '../../../src/config';

/** Section -> key -> value, to compare whole parses at a glance. */
function values(text: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const [section, entries] of parseIni(text).sections) {
    out[section] = Object.fromEntries([...entries].map(([key, entry]) => [key, entry.value]));
  }
  return out;
}

/** The ConfigError parseIni throws for `text`. */
function parseError(text: string): ConfigError {
  try {
    parseIni(text, 'test.conf');
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected parseIni to throw');
}

describe('parseIni', () => {
  it('reads sections with "=" and ":" assignments, trimming whitespace', () => {
    expect(values('[DEFAULT]\n  \nhost   =  10.0.0.1\nport:1234  \n[ database ]\nauto_migrate=false\n')).toEqual({
      DEFAULT: { host: '10.0.0.1', port: '1234' },
      database: { auto_migrate: 'false' },
    });
  });

  it('splits at whichever of "=" and ":" comes first', () => {
    expect(values('[s]\nconnection = mysql://u:p@h/db\nkey: a=b\n')).toEqual({
      s: { connection: 'mysql://u:p@h/db', key: 'a=b' },
    });
  });

  it('skips "#" and ";" comment lines but keeps "#" inside values', () => {
    expect(values('# top\n[s]\n; semi\n#a = 1\nb = x # not a comment\npassword = p#;w\n')).toEqual({
      s: { b: 'x # not a comment', password: 'p#;w' },
    });
  });

  it('joins continuation lines with newlines and ends a value at a blank line', () => {
    expect(values('[s]\nplugins = a,\n   b,\n\tc\nother = 1\n')).toEqual({ s: { plugins: 'a,\nb,\nc', other: '1' } });
    expect(values('[s]\nlist =\n  x\n  y\n')).toEqual({ s: { list: 'x\ny' } });
  });

  it('ignores indented comment lines when no value is open', () => {
    expect(values('[s]\n  # indented comment\na = 1\n')).toEqual({ s: { a: '1' } });
  });

  it('treats keys as case-sensitive', () => {
    expect(values('[s]\nPort = 1\nport = 2\n')).toEqual({ s: { Port: '1', port: '2' } });
  });

  it('lets the last of duplicate keys win and merges a repeated section', () => {
    expect(values('[s]\na = 1\nb = 1\n[t]\nc = 1\n[s]\na = 2\n')).toEqual({ s: { a: '2', b: '1' }, t: { c: '1' } });
  });

  it('strips one pair of matching quotes, not mismatched ones', () => {
    expect(values(`[s]\na = "quoted"\nb = 'single'\nc = "half'\nd = ""\n`)).toEqual({
      s: { a: 'quoted', b: 'single', c: `"half'`, d: '' },
    });
  });

  it('accepts an empty value', () => {
    expect(values('[s]\nempty =\n')).toEqual({ s: { empty: '' } });
  });

  it('handles CRLF line endings and a byte-order mark', () => {
    expect(values('\uFEFF[s]\r\na = 1\r\nb = 2\r\n')).toEqual({ s: { a: '1', b: '2' } });
  });

  it('records the line of each key and section header', () => {
    const ini = parseIni('# c\n[s]\n\na = 1\n  more\nb = 2\n', 'x.conf');
    expect(ini.source).toBe('x.conf');
    expect(ini.sections.get('s')?.get('a')).toEqual({ value: '1\nmore', line: 4 });
    expect(ini.sections.get('s')?.get('b')?.line).toBe(6);
    expect(ini.sectionLines.get('s')).toBe(2);
  });

  describe('errors carry the file and line number', () => {
    it.each([
      ['an option before any section', 'a = 1\n', 1, 'option "a" appears before any [section] header'],
      ['a header without "]"', '[s]\na = 1\n[broken\n', 3, 'section header "[broken" has no closing "]"'],
      ['an empty section name', '# c\n[]\n', 2, 'empty section name "[]"'],
      ['a line with no "=" or ":"', '[s]\njust words\n', 2, 'expected "key = value", got "just words"'],
      ['an assignment without a key', '[s]\n= 5\n', 2, 'missing option name before the value in "= 5"'],
      ['a continuation after a blank line', '[s]\na = 1\n\n  2\n', 4, 'unexpected continuation line "2"'],
      ['a continuation right after a header', '[s]\n  x = 1\n', 2, 'unexpected continuation line "x = 1"'],
    ])('%s', (_name, text, line, message) => {
      const err = parseError(text);
      expect(err.location).toEqual({ file: 'test.conf', line });
      expect(err.message).toContain(message);
      expect(err.message).toContain(`(at test.conf:${line})`);
    });
  });
});
