import { parseJsonArgs } from './json-args.util';

describe('parseJsonArgs', () => {
  it('decodes a JSON array', () => {
    expect(parseJsonArgs('["John",5,{"a":[1]}]', 64)).toEqual({ args: ['John', 5, { a: [1] }] });
  });

  it.each([['garbage'], [''], ['"str"'], ['{"a":1}'], ['null']])('refuses %j', (json) => {
    expect(parseJsonArgs(json, 64)).toHaveProperty('error');
  });

  it('drops __proto__, constructor and prototype keys at every depth', () => {
    const parsed = parseJsonArgs(
      '[{"__proto__":{"polluted":1},"a":{"constructor":{"prototype":{"x":1}},"b":2}}]',
      64,
    );
    expect(parsed).toEqual({ args: [{ a: { b: 2 } }] });
    const [arg] = (parsed as { args: Record<string, unknown>[] }).args;
    expect(Object.getPrototypeOf(arg)).toBe(Object.prototype);
    expect(Object.keys(arg)).toEqual(['a']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses nesting deeper than the limit without parsing it', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(parseJsonArgs(deep, 64)).toEqual({
      error: 'sijax_args is nested deeper than 64 levels',
    });
    expect(parseJsonArgs('[[[["ok"]]]]', 4)).toEqual({ args: [[[['ok']]]] });
  });

  it('does not count brackets inside strings', () => {
    expect(parseJsonArgs(`["${'['.repeat(500)}"]`, 4)).toEqual({ args: ['['.repeat(500)] });
  });
});
