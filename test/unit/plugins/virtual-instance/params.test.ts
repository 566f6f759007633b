import { InvalidInput, InvalidState } from '../../../../src/common';
import { parseAffinity, parseInstanceParams, updateInstanceParams } from '../../../../src/plugins/virtual-instance';

const cli = { resource_type: undefined, amount: 2, vcpus: 1, memory_mb: 1024, disk_gb: 10, affinity: 'None', resource_properties: '' };
const body = (over: Record<string, unknown> = {}) => {
  const b: Record<string, unknown> = { ...cli, ...over };
  delete b.resource_type;
  for (const [k, v] of Object.entries(over)) if (v === undefined) delete b[k];
  return b;
};

describe('virtual:instance parameters', () => {
  it('accepts the CLI body and normalises it', () => {
    expect(parseInstanceParams(body())).toEqual({
      amount: 2, vcpus: 1, memory_mb: 1024, disk_gb: 10, affinity: null, resource_properties: '',
      flavor_id: null, server_group_id: null, aggregate_id: null,
    });
  });

  it('accepts digit strings (Heat) and JSON filters as arrays', () => {
    const p = parseInstanceParams(body({ amount: '3', vcpus: ' 2 ', memory_mb: '0', disk_gb: '20', resource_properties: ['==', '$gpu', 'true'] }));
    expect(p).toMatchObject({ amount: 3, vcpus: 2, memory_mb: 0, disk_gb: 20, resource_properties: '["==","$gpu","true"]' });
  });

  it.each([
    [true, true], [false, false], [null, null], [undefined, null],
    ['True', true], ['False', false], ['None', null], ['true', true], ['false', false], ['none', null], ['', null],
  ])('affinity %p is %p', (given, expected) => {
    expect(parseAffinity(given)).toBe(expected);
    expect(parseInstanceParams(body({ affinity: given })).affinity).toBe(expected);
  });

  it.each([
    [{ affinity: 'maybe' }, /affinity.*Must be true, false or null/],
    [{ affinity: 1 }, /affinity/],
    [{ amount: 0 }, /amount.*at least 1/],
    [{ amount: -1 }, /amount/],
    [{ amount: 1.5 }, /amount/],
    [{ amount: '2x' }, /amount/],
    [{ vcpus: -1 }, /vcpus.*at least 0/],
    [{ memory_mb: 'lots' }, /memory_mb/],
    [{ disk_gb: 1e12 }, /disk_gb.*at most/],
    [{ amount: undefined }, /Missing parameter amount/],
    [{ vcpus: undefined }, /Missing parameter vcpus/],
    [{ memory_mb: null }, /Missing parameter memory_mb/],
    [{ disk_gb: undefined }, /Missing parameter disk_gb/],
    [{ vcpus: 0, memory_mb: 0, disk_gb: 0 }, /at least one must be greater than 0/],
    [{ resource_properties: '["==", "$gpu"' }, /resource_properties/],
    [{ min: 1 }, /min: not a parameter of virtual:instance/],
    [{ flavor_id: 'x' }, /flavor_id: not a parameter/],
  ])('refuses %p with a 400', (over, message) => {
    let caught: unknown;
    try { parseInstanceParams(body(over)); } catch (e) { caught = e; }
    expect(caught).toBeInstanceOf(InvalidInput);
    expect((caught as Error).message).toMatch(message);
  });

  describe('update', () => {
    const current = parseInstanceParams(body({ affinity: 'True' }));

    it('changes anything before the start and keeps the created ids', () => {
      const withIds = { ...current, flavor_id: 'f', server_group_id: 'g', aggregate_id: 3 };
      const next = updateInstanceParams(withIds, { amount: '4', vcpus: 2, affinity: 'False', resource_properties: '["==", "$a", "b"]' }, false);
      expect(next).toMatchObject({ amount: 4, vcpus: 2, affinity: false, resource_properties: '["==", "$a", "b"]', flavor_id: 'f', aggregate_id: 3 });
    });

    it('ignores output fields sent back by a client', () => {
      const next = updateInstanceParams(current, { flavor_id: 'x', server_group_id: null, aggregate_id: 9 }, false);
      expect(next).toEqual(current);
    });

    it('refuses bad values (400) and, once started, any change but the window and a higher amount (409)', () => {
      expect(() => updateInstanceParams(current, { amount: 0 }, false)).toThrow(InvalidInput);
      expect(() => updateInstanceParams(current, { vcpus: 0, memory_mb: 0, disk_gb: 0 }, false)).toThrow(InvalidInput);
      expect(() => updateInstanceParams(current, { max: 2 }, false)).toThrow(InvalidInput);
      expect(() => updateInstanceParams(current, { amount: 1 }, true)).toThrow(InvalidState);
      expect(() => updateInstanceParams(current, { amount: 1 }, true)).toThrow(/Cannot lower amount .*\(from 2 to 1\).*may only be raised/);
      expect(() => updateInstanceParams(current, { vcpus: 2 }, true)).toThrow(/Cannot change vcpus/);
      expect(() => updateInstanceParams(current, { affinity: null }, true)).toThrow(/Cannot change affinity/);
      expect(() => updateInstanceParams(current, { resource_properties: '["==", "$a", "b"]' }, true)).toThrow(/Cannot change resource_properties/);
      expect(updateInstanceParams(current, { amount: 2, affinity: 'True' }, true)).toEqual(current);
      expect(updateInstanceParams(current, { amount: '3' }, true)).toEqual({ ...current, amount: 3 });
    });
  });
});
