/** Which reservations make a lease need its owner's Keystone trust (issue 18), with the plugins as Climate builds them. */
import { needsOwnerTrust, requestedReservations } from '../../../src/leases/owner-trust';
import { startTestService, type TestService } from '../../support/service';

const ALL = ['physical:host', 'virtual:instance', 'flavor:instance', 'virtual:floatingip', 'virtual:volume', 'virtual:stack'];

describe('the owner-trust rule', () => {
  let svc: TestService;
  beforeAll(async () => { svc = await startTestService({ config: { manager: { plugins: ALL } } }); });
  afterAll(async () => { await svc.close(); });

  it('only virtual:stack and virtual:volume act as the lease owner', () => {
    const acting = ALL.filter((type) => svc.services.plugins.get(type)!.actsAsOwner === true);
    expect(acting).toEqual(['virtual:volume', 'virtual:stack']);
  });

  it('needs a trust for a stack or volume reservation with a start or end action, whatever else the lease holds', () => {
    const rule = (raw: unknown) => needsOwnerTrust(svc.services.plugins, requestedReservations(raw));
    expect(rule([])).toBe(false);
    expect(rule(undefined)).toBe(false);
    expect(rule('not a list')).toBe(false);
    expect(rule([null, 7, { resource_type: 'unknown:type' }])).toBe(false);
    expect(rule(ALL.filter((t) => !['virtual:volume', 'virtual:stack'].includes(t)).map((t) => ({ resource_type: t })))).toBe(false);
    expect(rule([{ resource_type: 'physical:host' }, { resource_type: 'virtual:volume' }])).toBe(true);
    expect(rule([{ resource_type: 'virtual:stack', on_start: 'none' }])).toBe(true);
    expect(rule([{ resource_type: 'virtual:volume', on_end: 'none' }])).toBe(true);
    expect(rule([{ resource_type: 'virtual:stack', on_start: 'none', on_end: 'none' }])).toBe(false);
  });
});
