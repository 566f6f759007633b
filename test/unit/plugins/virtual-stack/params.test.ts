/**
 * virtual:stack parameters: what a create accepts and stores (template as given, capacity worked out from it,
 * on_start/on_end), the 400s for bad input, and what a PUT may change before and after the start.
 */
import { InvalidInput, InvalidState } from '../../../../src/common';
import {
  parseStackParams, updateStackParams, type FlavorLookup, type ServerSize, type StackReservationParams,
} from '../../../../src/plugins/virtual-stack';

const TEMPLATE = `heat_template_version: 2018-08-31
parameters:
  count: {type: number, default: 2}
  reservation_flavor: {type: string, default: m1.small}
  reservation_id: {type: string, default: ""}
resources:
  web:
    type: OS::Heat::ResourceGroup
    properties:
      count: {get_param: count}
      resource_def:
        type: OS::Nova::Server
        properties:
          flavor: {get_param: reservation_flavor}
          image: cirros
          scheduler_hints: {reservation: {get_param: reservation_id}}
  db:
    type: OS::Nova::Server
    properties: {flavor: m1.large, image: cirros}
`;

const lookups: string[] = [];
const SIZES: Record<string, ServerSize> = { 'm1.small': { vcpus: 1, memory_mb: 2048, disk_gb: 20 }, 'm1.large': { vcpus: 4, memory_mb: 8192, disk_gb: 10 } };
const flavors: FlavorLookup = async (ref) => {
  lookups.push(ref);
  return SIZES[ref] ?? null;
};
const body = (over: Record<string, unknown> = {}) => ({ template: TEMPLATE, stack_name: 'web-tier', ...over });

describe('virtual:stack parameters', () => {
  beforeEach(() => { lookups.length = 0; });

  it('stores the template as given and the capacity worked out from it', async () => {
    const p = await parseStackParams(body({ parameters: { count: 3 } }), flavors);
    expect(p).toEqual({
      template: TEMPLATE, parameters: { count: 3 }, environment: null, stack_name: 'web-tier',
      amount: 4, vcpus: 4, memory_mb: 8192, disk_gb: 20, sizing: 'flavor', affinity: null, resource_properties: '',
      flavor_id: null, server_group_id: null, aggregate_id: null, stack_id: null, stack_status: null, stack_status_reason: null,
      on_start: 'create', on_end: 'delete',
    } satisfies StackReservationParams);
    expect(lookups.sort()).toEqual(['m1.large', 'm1.small']);
  });

  it('takes explicit sizes without looking flavors up, and the lifecycle choices', async () => {
    const p = await parseStackParams(body({ vcpus: '2', memory_mb: 1024, disk_gb: 0, on_start: 'none', on_end: 'None', affinity: 'True' }), null);
    expect(p).toMatchObject({ amount: 3, vcpus: 2, memory_mb: 1024, disk_gb: 0, sizing: 'explicit', on_start: 'none', on_end: 'none', affinity: true });
    expect(lookups).toEqual([]);
  });

  it('parses a YAML environment into an object and uses it for the count', async () => {
    const p = await parseStackParams(body({ environment: 'parameters:\n  count: 5\n' }), flavors);
    expect(p.environment).toEqual({ parameters: { count: 5 } });
    expect(p.amount).toBe(6);
  });

  it.each([
    ['no stack_name', { stack_name: undefined }, /Missing parameter stack_name/],
    ['a stack_name Heat refuses', { stack_name: '9lives' }, /stack_name.*Must start with a letter/],
    ['a stack_name with a space', { stack_name: 'a b' }, /stack_name/],
    ['no template', { template: undefined }, /Missing parameter template/],
    ['a template that is not HOT', { template: 'AWSTemplateFormatVersion: 2010-09-09\nResources: {}' }, /no heat_template_version/],
    ['parameters as a list', { parameters: [1] }, /parameters.*Must be an object/],
    ['a parameter the template lacks', { parameters: { colour: 'red' } }, /"colour" is not a parameter of the template/],
    ['amount (worked out, not given)', { amount: 3 }, /amount: not a parameter of virtual:stack reservations \(the number of servers is worked out from the template\)/],
    ['an unknown field', { flavor: 'x' }, /flavor: not a parameter of virtual:stack/],
    ['some sizes only', { vcpus: 1 }, /Give all of vcpus, memory_mb and disk_gb, or none.*missing: memory_mb, disk_gb/],
    ['a negative size', { vcpus: -1, memory_mb: 1, disk_gb: 1 }, /vcpus.*Must be an integer from 0/],
    ['all sizes zero', { vcpus: 0, memory_mb: 0, disk_gb: 0 }, /at least one must be greater than 0/],
    ['on_start maybe', { on_start: 'maybe' }, /on_start.*Must be one of: create, none/],
    ['a bad affinity', { affinity: 'sometimes' }, /affinity/],
    ['a bad filter', { resource_properties: '["==", "$gpu"' }, /resource_properties/],
    ['a template without servers', { template: 'heat_template_version: 2018-08-31\nresources:\n  net: {type: OS::Neutron::Net}\n' },
      /it makes no servers .* nothing to reserve/],
    ['a template whose group count is unknowable', {
      template: 'heat_template_version: 2018-08-31\nresources:\n  g:\n    type: OS::Heat::ResourceGroup\n    properties:\n      count: {get_attr: [x, y]}\n      resource_def: {type: OS::Nova::Server, properties: {flavor: m1.small}}\n',
    }, /resource "g" \(OS::Heat::ResourceGroup\): get_attr cannot be resolved/],
  ])('refuses %s with a 400 that says so', async (_what, over, message) => {
    const b: Record<string, unknown> = body(over);
    for (const [k, v] of Object.entries(over)) if (v === undefined) delete b[k];
    const attempt = parseStackParams(b, flavors);
    await expect(attempt).rejects.toBeInstanceOf(InvalidInput);
    await expect(parseStackParams(b, flavors)).rejects.toThrow(message);
  });

  it('without a compute service, a template sized by flavors asks for explicit sizes', async () => {
    await expect(parseStackParams(body(), null)).rejects.toThrow(/cannot be looked up without a compute service; give vcpus, memory_mb and disk_gb/);
  });

  describe('updates', () => {
    let current: StackReservationParams;
    beforeEach(async () => { current = await parseStackParams(body(), flavors); });

    it('before the start: new parameters are counted and sized again', async () => {
      const next = await updateStackParams(current, { parameters: { count: 7 }, stack_name: 'renamed' }, false, flavors);
      expect(next).toMatchObject({ parameters: { count: 7 }, amount: 8, stack_name: 'renamed', sizing: 'flavor' });
    });

    it('before the start: sizes make the sizing explicit, and null for all three goes back to the flavors', async () => {
      const explicit = await updateStackParams(current, { vcpus: 8 }, false, flavors);
      expect(explicit).toMatchObject({ vcpus: 8, memory_mb: 8192, disk_gb: 20, sizing: 'explicit', amount: 3 });
      const back = await updateStackParams(explicit, { vcpus: null, memory_mb: null, disk_gb: null }, false, flavors);
      expect(back).toMatchObject({ vcpus: 4, memory_mb: 8192, disk_gb: 20, sizing: 'flavor' });
    });

    it('sizes and outputs sent back unchanged change nothing, and are not looked up again', async () => {
      lookups.length = 0;
      const shown = { ...current, stack_id: 'abc', stack_status: 'CREATE_COMPLETE', amount: 99 };
      const next = await updateStackParams(current, shown, false, flavors);
      expect(next).toEqual(current);
      expect(lookups).toEqual([]);
    });

    it('after the start: only on_end may change', async () => {
      expect(await updateStackParams(current, { on_end: 'none' }, true, flavors)).toMatchObject({ on_end: 'none', amount: 3 });
      for (const change of [{ parameters: { count: 4 } }, { template: TEMPLATE.replace('m1.large', 'm1.small') }, { stack_name: 'other' },
        { vcpus: 16 }, { affinity: true }, { on_start: 'none' }]) {
        await expect(updateStackParams(current, change, true, flavors)).rejects.toBeInstanceOf(InvalidState);
      }
      await expect(updateStackParams(current, { parameters: { count: 4 } }, true, flavors))
        .rejects.toThrow(/Cannot change parameters of a virtual:stack reservation whose lease has started/);
    });

    it('refuses unknown fields and bad values as on create', async () => {
      await expect(updateStackParams(current, { image: 'x' }, false, flavors)).rejects.toThrow(/image: not a parameter of virtual:stack/);
      await expect(updateStackParams(current, { parameters: { nope: 1 } }, false, flavors)).rejects.toThrow(/"nope" is not a parameter of the template/);
    });
  });
});
