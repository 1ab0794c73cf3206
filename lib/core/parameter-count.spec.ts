import { countParameters } from './parameter-count';

class Sample {
  plain(response: unknown, a: number, b: string) {}
  defaults(response: unknown, a: number, b = 'x', c = [1, 2]) {}
  rest(response: unknown, a: number, ...more: number[]) {}
  destructured(response: unknown, { a, b }: { a: number; b: number }, [c, d] = [1, 2]) {}
  stringDefault(response: unknown, a = '),(', b = `x${1}`) {}
  async *gen(response: unknown, steps: number) {}
  *syncGen(response: unknown) {}
}

describe('countParameters', () => {
  const proto = Sample.prototype;

  it.each([
    ['plain', 3, 3, false],
    ['defaults', 2, 4, false],
    ['rest', 2, 2, true],
    ['destructured', 2, 3, false],
    ['stringDefault', 1, 3, false],
    ['gen', 2, 2, false],
    ['syncGen', 1, 1, false],
  ] as const)('%s: %i required, %i total, rest %s', (name, required, total, rest) => {
    expect(countParameters(proto[name])).toEqual({ required, total, rest });
  });

  it('reads arrow functions and plain functions', () => {
    expect(countParameters((a: number) => a)).toEqual({ required: 1, total: 1, rest: false });
    expect(countParameters(function named(a: number, b?: number) {})).toEqual({
      required: 2,
      total: 2,
      rest: false,
    });
    expect(countParameters(() => 0)).toEqual({ required: 0, total: 0, rest: false });
  });
});
