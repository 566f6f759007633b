import { InvalidInput } from '../../../src/common/errors';
import { parseFilter, referencedKeys, validateKeys } from '../../../src/plugins/filter';

const HP = 'hypervisor_properties';
const KNOWN = new Set(['gpu', 'ram_speed']);

function validate(text: string, known: ReadonlySet<string> = KNOWN): void {
  validateKeys(parseFilter(text, HP), HP, known);
}

function errorOf(text: string): string {
  try {
    validate(text);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInput);
    return (err as Error).message;
  }
  throw new Error(`validateKeys accepted ${text}`);
}

describe('referencedKeys', () => {
  it('lists distinct keys without $ in order of first appearance', () => {
    const expr = parseFilter('["and", ["==", "$gpu", 1], ["or", ["in", "$vcpus", 1, 2], ["not", ["<", "$gpu", 3]]], [">", "$memory_mb", 4]]', HP);
    expect(referencedKeys(expr)).toEqual(['gpu', 'vcpus', 'memory_mb']);
  });

  it('gives nothing for no filter', () => {
    expect(referencedKeys(null)).toEqual([]);
  });
});

describe('validateKeys', () => {
  it('accepts host columns and known extra capabilities', () => {
    expect(() => validate('["and", [">=", "$vcpus", "2"], ["==", "$gpu", "true"], ["in", "$hypervisor_hostname", "a", 1], ["==", "$reservable", true]]')).not.toThrow();
    expect(() => validateKeys(null, HP, KNOWN)).not.toThrow();
  });

  it('rejects an unknown property with its position', () => {
    expect(errorOf('["==", "$foo", "1"]')).toBe('Invalid hypervisor_properties: unknown property $foo at [1]');
    expect(errorOf('["and", ["==", "$gpu", "1"], ["not", ["in", "$bar", "x"]]]')).toBe(
      'Invalid hypervisor_properties: unknown property $bar at [2][1][1]',
    );
  });

  it('knows extra capabilities only from the set it is given', () => {
    expect(() => validate('["==", "$foo", "1"]', new Set(['foo']))).not.toThrow();
    expect(() => validate('["==", "$gpu", "1"]', new Set())).toThrow('unknown property $gpu');
  });

  it('rejects a numeric host column compared with a non-number', () => {
    expect(errorOf('[">=", "$vcpus", "abc"]')).toBe(
      'Invalid hypervisor_properties: $vcpus is a numeric property, but the value at [2] is "abc", not a number',
    );
    expect(errorOf('["in", "$memory_mb", 1, true]')).toContain('$memory_mb is a numeric property, but the value at [3] is true');
  });

  it('accepts numeric strings, decimals and negatives for numeric host columns', () => {
    expect(() => validate('["or", [">=", "$vcpus", "16"], ["<", "$local_gb", -1.5], ["==", "$id", "1e3"]]')).not.toThrow();
  });

  it('checks the boolean column reservable', () => {
    expect(() => validate('["or", ["==", "$reservable", "True"], ["!=", "$reservable", false]]')).not.toThrow();
    expect(errorOf('["==", "$reservable", "yes"]')).toContain('$reservable is a boolean property, but the value at [2] is "yes"');
    expect(errorOf('[">", "$reservable", "true"]')).toContain('">" at [0] cannot order it');
  });
});
