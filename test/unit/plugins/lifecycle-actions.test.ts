/**
 * `on_start` / `on_end` of virtual reservations: parsed and updated by virtual:floatingip and virtual:volume
 * (defaults create / delete, `none` to only hold the capacity), refused by the types that do not take them.
 */
import { InvalidInput, InvalidState } from '../../../src/common';
import { actsOn, lifecycleActionsOf, parseLifecycleActions, updateLifecycleActions } from '../../../src/plugins';
import { parseFloatingIpParams, updateFloatingIpParams } from '../../../src/plugins/floatingip';
import { parseHostParams } from '../../../src/plugins/physical-host/params';
import { parseInstanceParams } from '../../../src/plugins/virtual-instance/params';
import { parseVolumeParams, updateVolumeParams } from '../../../src/plugins/virtual-volume';

const NET = '5e2b3d0c-8f7a-4a7e-9b39-6c1f4b5d2e10';

const plugins = [
  {
    type: 'virtual:floatingip',
    parse: (extra: Record<string, unknown>) => parseFloatingIpParams({ network_id: NET, amount: 1, ...extra }),
    update: (current: Record<string, unknown>, changes: Record<string, unknown>, started: boolean) =>
      updateFloatingIpParams(current as ReturnType<typeof parseFloatingIpParams>, changes, started),
  },
  {
    type: 'virtual:volume',
    parse: (extra: Record<string, unknown>) => parseVolumeParams({ amount: 1, size_gb: 10, ...extra }),
    update: (current: Record<string, unknown>, changes: Record<string, unknown>, started: boolean) =>
      updateVolumeParams(current as ReturnType<typeof parseVolumeParams>, changes, started),
  },
];

describe.each(plugins)('$type on_start / on_end', ({ parse, update }) => {
  it('defaults to create and delete, and stores none (any case, trimmed)', () => {
    expect(parse({})).toMatchObject({ on_start: 'create', on_end: 'delete' });
    expect(parse({ on_start: null, on_end: null })).toMatchObject({ on_start: 'create', on_end: 'delete' });
    expect(parse({ on_start: 'none', on_end: ' None ' })).toMatchObject({ on_start: 'none', on_end: 'none' });
    expect(parse({ on_start: 'CREATE', on_end: 'delete' })).toMatchObject({ on_start: 'create', on_end: 'delete' });
  });

  it.each([
    [{ on_start: 'delete' }, /on_start\. Value: "delete"\. Must be one of: create, none/],
    [{ on_end: 'create' }, /on_end\. Value: "create"\. Must be one of: delete, none/],
    [{ on_end: true }, /on_end\. Value: true/],
    [{ on_start: '' }, /on_start\. Value: ""/],
    [{ on_stop: 'none' }, /on_stop: not a parameter/],
  ])('refuses %j with a 400 naming the field', (extra, message) => {
    expect(() => parse(extra)).toThrow(InvalidInput);
    expect(() => parse(extra)).toThrow(message);
  });

  it('a PUT changes on_start before the start only, on_end at any time', () => {
    const current = parse({});
    expect(update(current, { on_start: 'none', on_end: 'none' }, false)).toMatchObject({ on_start: 'none', on_end: 'none' });
    expect(update(current, { on_end: 'none' }, true)).toMatchObject({ on_start: 'create', on_end: 'none' });
    expect(update(parse({ on_end: 'none' }), { on_end: 'delete' }, true)).toMatchObject({ on_end: 'delete' });
    // Sent back unchanged (the CLI sends what it showed) is fine after the start too.
    expect(update(current, { on_start: 'create' }, true)).toMatchObject({ on_start: 'create' });
    expect(() => update(current, { on_start: 'none' }, true)).toThrow(InvalidState);
    expect(() => update(current, { on_start: 'none' }, true)).toThrow('Cannot change on_start of a reservation whose lease has started');
    expect(() => update(current, { on_end: 'keep' }, false)).toThrow(InvalidInput);
  });

  it('a PUT of a reservation stored before these parameters existed starts from the defaults', () => {
    const old: Record<string, unknown> = { ...parse({}) };
    delete old.on_start;
    delete old.on_end;
    expect(update(old, {}, true)).toMatchObject({ on_start: 'create', on_end: 'delete' });
    expect(update(old, { on_end: 'none' }, true)).toMatchObject({ on_start: 'create', on_end: 'none' });
  });
});

describe('types that do not take on_start / on_end', () => {
  it('refuse them as unknown parameters, so their start and end always act', () => {
    expect(() => parseHostParams({ min: 1, max: 1, on_start: 'none' })).toThrow(/on_start: not a parameter of physical:host/);
    expect(() => parseInstanceParams({ amount: 1, vcpus: 1, memory_mb: 512, disk_gb: 1, on_end: 'none' }))
      .toThrow(/on_end: not a parameter of virtual:instance/);
    const host = parseHostParams({ min: 1, max: 1 });
    expect([actsOn('onStart', host), actsOn('onEnd', host)]).toEqual([true, true]);
  });
});

describe('the shared helpers', () => {
  it('actsOn says no only for none', () => {
    expect(actsOn('onStart', { on_start: 'none', on_end: 'delete' })).toBe(false);
    expect(actsOn('onEnd', { on_start: 'none', on_end: 'delete' })).toBe(true);
    expect(actsOn('onEnd', { on_end: 'none' })).toBe(false);
    expect(actsOn('onStart', {})).toBe(true);
  });

  it('lifecycleActionsOf fills in the defaults for views', () => {
    expect(lifecycleActionsOf({})).toEqual({ on_start: 'create', on_end: 'delete' });
    expect(lifecycleActionsOf({ on_start: 'none' })).toEqual({ on_start: 'none', on_end: 'delete' });
  });

  it('parse and update agree with the plugins', () => {
    expect(parseLifecycleActions({ on_end: 'none' })).toEqual({ on_start: 'create', on_end: 'none' });
    expect(updateLifecycleActions({}, {}, false)).toEqual({ on_start: 'create', on_end: 'delete' });
  });
});
