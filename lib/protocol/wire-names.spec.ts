import { parseOffset } from './wire-names';

describe('parseOffset', () => {
  it('reads 1 to 15 decimal digits', () => {
    expect(parseOffset('0')).toBe(0);
    expect(parseOffset('42')).toBe(42);
    expect(parseOffset('999999999999999')).toBe(999_999_999_999_999);
  });

  it("refuses what Number() would take but the wire's offsets are not", () => {
    for (const value of [
      '',
      ' 1',
      '1 ',
      '+1',
      '-1',
      '1.5',
      '0x1f',
      '1e3',
      'Infinity',
      '1'.repeat(16),
    ]) {
      expect(parseOffset(value)).toBeUndefined();
    }
  });
});
