/** virtual:floatingip parameters: parsing, normalisation and what a PUT may change. */
import { InvalidInput, InvalidState } from '../../../../src/common';
import { parseFloatingIpParams, updateFloatingIpParams } from '../../../../src/plugins/floatingip';

const NET = '5e2b3d0c-8f7a-4a7e-9b39-6c1f4b5d2e10';

describe('virtual:floatingip parameters', () => {
  it('parses the Blazar body, with string amounts and trimmed addresses', () => {
    expect(parseFloatingIpParams({ network_id: NET, amount: 1, required_floatingips: ['172.24.4.101'] }))
      .toEqual({ network_id: NET, amount: 1, required_floatingips: ['172.24.4.101'], floatingips: [], on_start: 'create', on_end: 'delete' });
    expect(parseFloatingIpParams({ network_id: ` ${NET} `, amount: '3', required_floatingips: [' 2001:db8::1 '] }))
      .toEqual({ network_id: NET, amount: 3, required_floatingips: ['2001:db8::1'], floatingips: [], on_start: 'create', on_end: 'delete' });
    expect(parseFloatingIpParams({ network_id: NET, amount: 2 }).required_floatingips).toEqual([]);
    expect(parseFloatingIpParams({ network_id: NET, amount: 2, required_floatingips: null }).required_floatingips).toEqual([]);
  });

  it.each([
    [{ amount: 1 }, /Missing parameter network_id/],
    [{ network_id: NET }, /Missing parameter amount/],
    [{ network_id: NET, amount: 0 }, /field\/attribute amount/],
    [{ network_id: NET, amount: 1.5 }, /field\/attribute amount/],
    [{ network_id: NET, amount: 'two' }, /field\/attribute amount/],
    [{ network_id: 7, amount: 1 }, /field\/attribute network_id/],
    [{ network_id: NET, amount: 1, required_floatingips: '172.24.4.1' }, /must be a list/i],
    [{ network_id: NET, amount: 1, required_floatingips: ['not-an-ip'] }, /Not an IP address/],
    [{ network_id: NET, amount: 2, required_floatingips: ['172.24.4.1', '172.24.4.1'] }, /listed twice/],
    [{ network_id: NET, amount: 1, required_floatingips: ['172.24.4.1', '172.24.4.2'] }, /amount \(1\) is less than the number of required floating IPs \(2\)/],
    [{ network_id: NET, amount: 1, floatingips: ['172.24.4.1'] }, /floatingips: not a parameter/],
    [{ network_id: NET, amount: 1, min: 1 }, /min: not a parameter/],
  ])('refuses %j with a 400 naming the field', (raw, message) => {
    const attempt = () => parseFloatingIpParams(raw as Record<string, unknown>);
    expect(attempt).toThrow(InvalidInput);
    expect(attempt).toThrow(message);
  });

  describe('updates', () => {
    const current = {
      network_id: NET, amount: 2, required_floatingips: ['172.24.4.1'], floatingips: ['172.24.4.1', '172.24.4.2'],
      on_start: 'create' as const, on_end: 'delete' as const,
    };

    it('changes the amount and ignores the addresses sent back', () => {
      expect(updateFloatingIpParams(current, { amount: 3, floatingips: ['x'] }, false)).toEqual({ ...current, amount: 3 });
      expect(updateFloatingIpParams(current, { network_id: NET, required_floatingips: ['172.24.4.1'] }, true)).toEqual(current);
    });

    it('keeps the network and the required addresses fixed', () => {
      expect(() => updateFloatingIpParams(current, { network_id: 'other' }, false)).toThrow(/network_id .* cannot be changed/);
      expect(() => updateFloatingIpParams(current, { required_floatingips: ['172.24.4.9'] }, false)).toThrow(/required_floatingips .* cannot be changed/);
      expect(() => updateFloatingIpParams(current, { amount: 0 }, false)).toThrow(InvalidInput);
    });

    it('refuses an amount below the required addresses, and shrinking once started', () => {
      const two = { ...current, required_floatingips: ['172.24.4.1', '172.24.4.2'] };
      expect(() => updateFloatingIpParams(two, { amount: 1 }, false)).toThrow(/less than the number of required/);
      expect(() => updateFloatingIpParams(current, { amount: 1 }, true)).toThrow(InvalidState);
      expect(updateFloatingIpParams(current, { amount: 1 }, false).amount).toBe(1);
      expect(updateFloatingIpParams(current, { amount: 4 }, true).amount).toBe(4);
    });
  });
});
