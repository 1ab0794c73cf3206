import { nestedDeeperThan, parseJsonArgs } from './json-args';

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

  it('drops dangerous keys spelled with \\u escapes', () => {
    const parsed = parseJsonArgs(
      '[{"\\u005f_proto__":{"polluted":1},"\\u0063onstructor":1,"ok":1}]',
      64,
    );
    expect(parsed).toEqual({ args: [{ ok: 1 }] });
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

describe('nestedDeeperThan', () => {
  it('measures parsed values without recursion', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(nestedDeeperThan(deep, 64)).toBe(true);
    expect(nestedDeeperThan([[1], { a: [2] }], 3)).toBe(false);
    expect(nestedDeeperThan([[1], { a: [[2]] }], 3)).toBe(true);
  });
});
