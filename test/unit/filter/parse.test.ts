import { InvalidInput } from '../../../src/common/errors';
import { MAX_FILTER_DEPTH, MAX_FILTER_LENGTH, MAX_FILTER_VALUES, parseFilter } from '../../../src/plugins/filter';

const HP = 'hypervisor_properties';
const RP = 'resource_properties';

/** The InvalidInput message `parseFilter` throws for `input`. */
function errorOf(input: unknown, field = HP): string {
  try {
    parseFilter(input, field);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInput);
    expect((err as InvalidInput).status).toBe(400);
    return (err as Error).message;
  }
  throw new Error(`parseFilter accepted ${JSON.stringify(input)}`);
}

describe('parseFilter: no constraint', () => {
  it.each([[''], ['   '], ['[]'], [' [ ] '], ['null'], [null], [undefined], [[]]])('%p gives null', (input) => {
    expect(parseFilter(input, HP)).toBeNull();
  });
});

describe('parseFilter: accepted expressions', () => {
  it('parses a single comparison and strips the $', () => {
    expect(parseFilter('[">=", "$vcpus", "2"]', HP)).toEqual({ kind: 'compare', op: '>=', key: 'vcpus', value: '2', path: [] });
  });

  it('normalises "=" to "=="', () => {
    expect(parseFilter('["=", "$zone", "a"]', HP)).toMatchObject({ op: '==' });
  });

  it('keeps typed literals as sent', () => {
    expect(parseFilter(['==', '$gpu', true], HP)).toMatchObject({ value: true });
    expect(parseFilter('["<", "$vcpus", 2.5]', HP)).toMatchObject({ value: 2.5 });
  });

  it('accepts a pre-parsed array (as Heat sends)', () => {
    expect(parseFilter(['and', ['==', '$a', 'x'], ['!=', '$b', 1]], RP)).toMatchObject({
      kind: 'and',
      operands: [{ key: 'a', path: [1] }, { key: 'b', op: '!=', path: [2] }],
    });
  });

  it('parses or / not / in with positions', () => {
    const expr = parseFilter('["or", ["not", ["==", "$gpu", "true"]], ["in", "$az", "a", 2, false]]', HP);
    expect(expr).toEqual({
      kind: 'or',
      path: [],
      operands: [
        { kind: 'not', path: [1], operand: { kind: 'compare', op: '==', key: 'gpu', value: 'true', path: [1, 1] } },
        { kind: 'in', key: 'az', values: ['a', 2, false], path: [2] },
      ],
    });
  });

  it('accepts an and with a single operand', () => {
    expect(parseFilter('["and", ["==", "$a", "1"]]', HP)).toMatchObject({ kind: 'and', operands: [{ key: 'a' }] });
  });

  it('accepts nesting up to the depth limit', () => {
    let doc: unknown = ['==', '$a', '1'];
    for (let i = 1; i < MAX_FILTER_DEPTH; i++) doc = ['not', doc];
    expect(parseFilter(JSON.stringify(doc), HP)).not.toBeNull();
  });
});

describe('parseFilter: errors', () => {
  it('names the field and the JSON problem', () => {
    const message = errorOf('[">=", "$vcpus" "2"]', RP);
    expect(message).toMatch(/^Invalid resource_properties: not valid JSON \(.+\)$/);
  });

  it('shows the position of a bad operator and lists the allowed ones', () => {
    expect(errorOf('["and", ["=>", "$vcpus", "2"]]')).toBe(
      'Invalid hypervisor_properties: expected an operator at position [1][0], got "=>"; ' +
        'allowed: ==, =, !=, >=, <=, >, <, and, or, not, in',
    );
  });

  it('rejects a key without $ at its position', () => {
    expect(errorOf('["and", ["==", "$a", "1"], ["==", "vcpus", "2"]]')).toBe(
      'Invalid hypervisor_properties: key at [2][1] must start with "$", got "vcpus"',
    );
  });

  it('explains the order when the value comes before the key', () => {
    expect(errorOf('[">=", "2", "$vcpus"]')).toMatch(/key at \[1\] must start with "\$", got "2"; the key comes before the value/);
  });

  it('rejects a non-string key and a bare $', () => {
    expect(errorOf('["==", 3, "x"]')).toContain('key at [1] must be a string starting with "$", got 3');
    expect(errorOf('["==", "$", "x"]')).toContain('key at [1] must name a property after "$"');
  });

  it.each([
    ['["==", "$a"]', '"==" at [0] takes a key and a value'],
    ['["==", "$a", "1", "2"]', 'got 3 argument(s)'],
    ['["and"]', '"and" at [0] needs at least one expression'],
    ['["or"]', '"or" at [0] needs at least one expression'],
    ['["not"]', '"not" at [0] takes exactly one expression, got 0'],
    ['["not", ["==", "$a", 1], ["==", "$a", 2]]', 'takes exactly one expression, got 2'],
    ['["in", "$a"]', '"in" at [0] takes a key and at least one value'],
  ])('rejects wrong arity %s', (input, expected) => {
    expect(errorOf(input)).toContain(expected);
  });

  it.each([
    ['["==", "$a", null]', 'value at [2] must be a string, number or boolean, got null'],
    ['["==", "$a", {"x": 1}]', 'got an object'],
    ['["in", "$a", "x", ["y"]]', 'value at [3] must be a string, number or boolean, got an array'],
  ])('rejects non-scalar values %s', (input, expected) => {
    expect(errorOf(input)).toContain(expected);
  });

  it('rejects non-finite numbers in a pre-parsed array', () => {
    expect(errorOf(['>', '$a', Number.POSITIVE_INFINITY])).toContain('value at [2] must be a string, number or boolean');
  });

  it('rejects ordering a boolean', () => {
    expect(errorOf('[">=", "$gpu", true]')).toContain('">=" at [0] cannot order booleans');
  });

  it.each([
    ['"abc"', 'expected a JSON array such as'],
    ['42', 'got 42'],
    ['{"a": 1}', 'got an object'],
  ])('rejects a top-level non-array %s', (input, expected) => {
    expect(errorOf(input)).toContain(expected);
  });

  it('rejects a non-array operand of and with its position', () => {
    expect(errorOf('["and", ["==", "$a", 1], "x"]')).toContain('expected an expression (an array such as [">=", "$vcpus", "2"]) at [2], got "x"');
    expect(errorOf('["or", []]')).toContain('expected an expression at [1], got an empty array');
  });

  it('rejects inputs that are neither strings nor arrays', () => {
    expect(errorOf(42)).toBe('Invalid hypervisor_properties: expected a JSON string or array, got 42');
    expect(errorOf({ op: '==' })).toContain('got an object');
  });

  it('rejects nesting beyond the depth limit', () => {
    let doc: unknown = ['==', '$a', '1'];
    for (let i = 0; i < MAX_FILTER_DEPTH; i++) doc = ['not', doc];
    expect(errorOf(JSON.stringify(doc))).toContain(`nested deeper than ${MAX_FILTER_DEPTH} levels`);
  });

  it('rejects overlong text and overlong pre-parsed arrays', () => {
    const long = JSON.stringify(['==', '$a', 'x'.repeat(MAX_FILTER_LENGTH)]);
    expect(errorOf(long)).toContain(`longer than ${MAX_FILTER_LENGTH} characters`);
    expect(errorOf(JSON.parse(long))).toContain(`longer than ${MAX_FILTER_LENGTH} characters`);
  });

  it('rejects too many values', () => {
    const values = Array.from({ length: MAX_FILTER_VALUES + 1 }, (_, i) => i);
    expect(errorOf(JSON.stringify(['in', '$a', ...values]))).toContain(`more than ${MAX_FILTER_VALUES} values`);
    expect(parseFilter(JSON.stringify(['in', '$a', ...values.slice(1)]), HP)).not.toBeNull();
  });

  it('rejects a cyclic pre-parsed array instead of looping', () => {
    const cyclic: unknown[] = ['not'];
    cyclic.push(cyclic);
    expect(errorOf(cyclic)).toContain('not representable as JSON');
  });
});
