/**
 * Sizing a HOT template: the servers it makes (OS::Nova::Server, ResourceGroup count, AutoScalingGroup max_size,
 * nested groups), get_param resolved from parameters, environment and defaults, the flavors they name, and the
 * 400s that name the resource Climate cannot size.
 */
import { InvalidInput } from '../../../../src/common';
import {
  checkParameters, countServers, parseEnvironment, parseTemplate, sizeServers, type FlavorLookup, type ServerSize,
} from '../../../../src/plugins/virtual-stack';

const hot = (resources: Record<string, unknown>, parameters: Record<string, unknown> = {}) =>
  ({ heat_template_version: '2018-08-31', parameters, resources });
const server = (flavor: unknown = 'm1.small') => ({ type: 'OS::Nova::Server', properties: { flavor, image: 'cirros' } });
const count = (t: Record<string, unknown>, params: Record<string, unknown> = {}, env: Record<string, unknown> | null = null) =>
  countServers(t, params, env);

const FLAVORS: Record<string, ServerSize> = {
  'm1.small': { vcpus: 1, memory_mb: 2048, disk_gb: 20 },
  'm1.large': { vcpus: 4, memory_mb: 8192, disk_gb: 10 },
  '42': { vcpus: 2, memory_mb: 16384, disk_gb: 40 },
};
const lookup: FlavorLookup = async (ref) => FLAVORS[ref] ?? null;

/** The InvalidInput message of `fn`, failing the test when it does not throw one. */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInput);
    return (error as Error).message;
  }
  throw new Error('expected an InvalidInput');
}

describe('parseTemplate', () => {
  it('takes YAML text, JSON text and objects alike', () => {
    const yaml = 'heat_template_version: 2018-08-31\nresources:\n  web:\n    type: OS::Nova::Server\n    properties: {flavor: m1.small}\n';
    const json = JSON.stringify(hot({ web: server() }));
    for (const given of [yaml, json, hot({ web: server() })]) {
      expect(count(parseTemplate(given)).servers).toBe(1);
    }
    // A date-looking version stays a string (YAML 1.2), as Heat reads it.
    expect(parseTemplate(yaml).heat_template_version).toBe('2018-08-31');
  });

  it.each([
    ['nothing', undefined, /Missing parameter template/],
    ['an empty string', '', /Missing parameter template/],
    ['a number', 42, /template: must be a HOT template/],
    ['a list', ['a'], /template: must be a HOT template/],
    ['a template without version', 'resources: {}', /no heat_template_version/],
    ['a scalar', 'just words', /must be a mapping/],
    ['resources as a list', 'heat_template_version: 2018-08-31\nresources: [a, b]', /"resources" must be a mapping/],
    ['parameters as a number', 'heat_template_version: 2018-08-31\nparameters: 3', /"parameters" must be a mapping/],
    ['broken YAML', 'a: [unclosed', /not valid YAML or JSON/],
    ['a template over 512 KiB', `heat_template_version: 2018-08-31\ndescription: "${'x'.repeat(600_000)}"`, /larger than 524288 bytes/],
  ])('refuses %s', (_what, given, message) => {
    expect(refusal(() => parseTemplate(given))).toMatch(message);
  });
});

describe('countServers', () => {
  it('counts servers, ResourceGroup count and AutoScalingGroup max_size, and lists flavors with their users', () => {
    const t = hot({
      a: server('m1.small'),
      b: server('m1.large'),
      net: { type: 'OS::Neutron::Net' },
      port: { type: 'OS::Neutron::Port', properties: { network: { get_resource: 'net' } } },
      group: { type: 'OS::Heat::ResourceGroup', properties: { count: 3, resource_def: server('m1.small') } },
      scaling: { type: 'OS::Heat::AutoScalingGroup', properties: { min_size: 1, max_size: 5, resource: server('m1.large') } },
    });
    const demand = count(t);
    expect(demand.servers).toBe(1 + 1 + 3 + 5);
    expect([...demand.flavors.entries()]).toEqual([
      ['m1.small', ['resource "a"', 'resource "group" (its resource_def)']],
      ['m1.large', ['resource "b"', 'resource "scaling" (its resource)']],
    ]);
  });

  it('a ResourceGroup without count makes one; count 0 makes none', () => {
    expect(count(hot({ g: { type: 'OS::Heat::ResourceGroup', properties: { resource_def: server() } } })).servers).toBe(1);
    expect(count(hot({ g: { type: 'OS::Heat::ResourceGroup', properties: { count: 0, resource_def: server() } }, s: server() })).servers).toBe(1);
  });

  it('multiplies nested groups (a ResourceGroup of AutoScalingGroups of ResourceGroups)', () => {
    const inner = { type: 'OS::Heat::ResourceGroup', properties: { count: '2', resource_def: server() } };
    const middle = { type: 'OS::Heat::AutoScalingGroup', properties: { max_size: 3, resource: inner } };
    const outer = { type: 'OS::Heat::ResourceGroup', properties: { count: 4, resource_def: middle } };
    expect(count(hot({ outer })).servers).toBe(4 * 3 * 2);
  });

  it('resolves get_param from the parameters, then the environment, then the defaults', () => {
    const t = hot(
      {
        g: { type: 'OS::Heat::ResourceGroup', properties: { count: { get_param: 'n' }, resource_def: server({ get_param: 'flavor' }) } },
        asg: { type: 'OS::Heat::AutoScalingGroup', properties: { max_size: { get_param: ['sizes', 'max'] }, resource: server({ get_param: ['flavors', 1] }) } },
      },
      {
        n: { type: 'number', default: 2 }, flavor: { type: 'string', default: 'm1.small' },
        sizes: { type: 'json', default: { max: 4 } }, flavors: { type: 'comma_delimited_list', default: 'm1.small,m1.large' },
      },
    );
    expect(count(t).servers).toBe(2 + 4);
    expect([...count(t).flavors.keys()]).toEqual(['m1.small', 'm1.large']);
    // parameter_defaults beat defaults, environment parameters beat parameter_defaults, request parameters beat all.
    expect(count(t, {}, { parameter_defaults: { n: 5 } }).servers).toBe(5 + 4);
    expect(count(t, {}, { parameter_defaults: { n: 5 }, parameters: { n: 6 } }).servers).toBe(6 + 4);
    expect(count(t, { n: '7', flavor: 'm1.large' }, { parameters: { n: 6 } }).servers).toBe(7 + 4);
    expect([...count(t, { flavor: '42' }).flavors.keys()]).toEqual(['42', 'm1.large']);
  });

  it('follows types the environment maps to known ones', () => {
    const t = hot({ web: { type: 'My::Server', properties: { flavor: 'm1.small' } } });
    expect(count(t, {}, { resource_registry: { 'My::Server': 'OS::Nova::Server' } }).servers).toBe(1);
    // Unmapped, an unknown plugin name makes no servers Climate knows of.
    expect(count(t).servers).toBe(0);
  });

  it.each([
    ['a count from get_attr', { g: { type: 'OS::Heat::ResourceGroup', properties: { count: { get_attr: ['x', 'y'] }, resource_def: server() } } },
      /resource "g" \(OS::Heat::ResourceGroup\): get_attr cannot be resolved before the stack exists/],
    ['a negative count', { g: { type: 'OS::Heat::ResourceGroup', properties: { count: -1, resource_def: server() } } },
      /resource "g" \(OS::Heat::ResourceGroup\): its count is -1, not a whole number/],
    ['an AutoScalingGroup without max_size', { asg: { type: 'OS::Heat::AutoScalingGroup', properties: { resource: server() } } },
      /resource "asg" \(OS::Heat::AutoScalingGroup\): its max_size is missing/],
    ['a group without resource_def', { g: { type: 'OS::Heat::ResourceGroup', properties: { count: 2 } } },
      /resource "g" \(its resource_def\) is not a mapping/],
    ['a nested template', { n: { type: 'server.yaml' } }, /resource "n" \(server\.yaml\): it is a nested template/],
    ['a group of nested templates', { g: { type: 'OS::Heat::ResourceGroup', properties: { count: 2, resource_def: { type: 'https://example.com/s.yaml' } } } },
      /resource "g" \(its resource_def\) \(https:\/\/example\.com\/s\.yaml\): it is a nested template/],
    ['an AWS instance', { i: { type: 'AWS::EC2::Instance', properties: { InstanceType: 'm1.small' } } },
      /resource "i" \(AWS::EC2::Instance\): Climate cannot count the servers of this type/],
    ['a nested stack', { s: { type: 'OS::Heat::Stack', properties: { template: 'x' } } }, /resource "s" \(OS::Heat::Stack\)/],
    ['a count from an undeclared parameter', { g: { type: 'OS::Heat::ResourceGroup', properties: { count: { get_param: 'nope' }, resource_def: server() } } },
      /resource "g" \(OS::Heat::ResourceGroup\): parameter "nope" is not declared in the template/],
    ['a resource without type', { x: { properties: {} } }, /resource "x" has no type/],
  ])('refuses %s, naming the resource', (_what, resources, message) => {
    expect(refusal(() => count(hot(resources as Record<string, unknown>)))).toMatch(message);
  });

  it('refuses a type the environment maps to a template file', () => {
    const t = hot({ web: { type: 'My::Server' } });
    expect(refusal(() => count(t, {}, { resource_registry: { 'My::Server': 'my_server.yaml' } })))
      .toMatch(/resource "web" \(My::Server, mapped to my_server\.yaml by the environment\): it is a nested template/);
  });

  it('counts a server whose flavor cannot be known yet, and says why for the size', () => {
    const t = hot({ web: server({ get_param: 'reservation_flavor' }) }, { reservation_flavor: { type: 'string' } });
    const demand = count(t);
    expect(demand.servers).toBe(1);
    expect(demand.unsized).toEqual(['Cannot work out the capacity the template needs: resource "web" (OS::Nova::Server): '
      + 'parameter "reservation_flavor" has no value (give it in parameters)']);
  });
});

describe('sizeServers', () => {
  it('takes the largest flavor in each dimension', async () => {
    const demand = count(hot({ a: server('m1.small'), b: server('m1.large'), c: server('42') }));
    expect(await sizeServers(demand, null, lookup)).toEqual({ vcpus: 4, memory_mb: 16384, disk_gb: 40 });
  });

  it('an explicit size wins and needs no lookup, even for flavors that cannot be known', async () => {
    const explicit = { vcpus: 2, memory_mb: 1024, disk_gb: 5 };
    const t = hot({ web: server({ get_param: 'reservation_flavor' }), db: server('m1.unknown') }, { reservation_flavor: { type: 'string' } });
    expect(await sizeServers(count(t), explicit, null)).toEqual(explicit);
  });

  it('uses the default of the reservation_flavor parameter to size the servers', async () => {
    const t = hot({ web: server({ get_param: 'reservation_flavor' }) }, { reservation_flavor: { type: 'string', default: 'm1.large' } });
    expect(await sizeServers(count(t), null, lookup)).toEqual(FLAVORS['m1.large']);
  });

  it.each([
    [hot({ web: server('m1.huge') }), lookup, /resource "web": flavor "m1\.huge" is not a flavor Nova knows/],
    [hot({ web: server() }), null, /flavor "m1\.small" of resource "web" cannot be looked up without a compute service; give vcpus, memory_mb and disk_gb/],
    [hot({ web: server({ get_param: 'f' }) }, { f: { type: 'string' } }), lookup,
      /resource "web" \(OS::Nova::Server\): parameter "f" has no value .*or give vcpus, memory_mb and disk_gb/],
    [hot({ web: { type: 'OS::Nova::Server', properties: {} } }), lookup, /resource "web" \(OS::Nova::Server\): it has no flavor/],
  ])('refuses a size it cannot work out (%#)', async (t, flavors, message) => {
    await expect(sizeServers(count(t), null, flavors)).rejects.toThrow(message);
    await expect(sizeServers(count(t), null, flavors)).rejects.toBeInstanceOf(InvalidInput);
  });
});

describe('checkParameters and parseEnvironment', () => {
  const t = hot({ web: server() }, { key: { type: 'string' }, size: { type: 'number', default: 1 }, reservation_flavor: { type: 'string' } });

  it('accepts declared parameters and values from the environment; Climate\'s own parameters need none', () => {
    expect(() => checkParameters(t, { key: 'k' }, null)).not.toThrow();
    expect(() => checkParameters(t, {}, { parameter_defaults: { key: 'k' } })).not.toThrow();
  });

  it('refuses an undeclared parameter and a declared one without value', () => {
    expect(refusal(() => checkParameters(t, { key: 'k', colour: 'red' }, null))).toMatch(/parameters: "colour" is not a parameter of the template/);
    expect(refusal(() => checkParameters(t, {}, null))).toMatch(/the template's parameter "key" has no default; give its value in parameters/);
  });

  it('parses environments from text or objects and refuses other shapes', () => {
    expect(parseEnvironment('parameters:\n  key: k\n')).toEqual({ parameters: { key: 'k' } });
    expect(parseEnvironment({ parameter_defaults: { a: 1 } })).toEqual({ parameter_defaults: { a: 1 } });
    expect(parseEnvironment(null)).toBeNull();
    expect(refusal(() => parseEnvironment(3))).toMatch(/environment: must be a Heat environment/);
    expect(refusal(() => parseEnvironment('parameters: [1]'))).toMatch(/environment: "parameters" must be a mapping/);
  });
});
