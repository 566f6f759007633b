import { capabilityNumber } from '../../../src/plugins/filter';

describe('capabilityNumber (defines host_extra_capabilities.capability_number)', () => {
  it.each<[string, number]>([
    ['16', 16],
    ['-3', -3],
    ['+7', 7],
    ['2.5', 2.5],
    ['-0.5', -0.5],
    ['.5', 0.5],
    ['5.', 5],
    ['010', 10],
    ['1e3', 1000],
    ['1E-2', 0.01],
  ])('reads %p as %p', (text, n) => {
    expect(capabilityNumber(text)).toBe(n);
  });

  it.each(['', ' 4', '4 ', '0x10', 'Infinity', 'NaN', '1e400', '-1e400', '1,5', 'abc', 'True', '.', '-', '1e', '1.2.3'])(
    'treats %p as text',
    (text) => {
      expect(capabilityNumber(text)).toBeNull();
    },
  );
});
