import { MAX_MEDIA_TYPE_LENGTH, parseMediaType } from './media-type';

const params = (header: string) => Object.fromEntries(parseMediaType(header)?.params ?? []);

describe('parseMediaType', () => {
  it('lowercases type/subtype and parameter names, keeps values as sent', () => {
    const parsed = parseMediaType('Multipart/Form-Data; Boundary=AbC; CHARSET=UTF-8');
    expect(parsed?.type).toBe('multipart/form-data');
    expect(Object.fromEntries(parsed?.params ?? [])).toEqual({ boundary: 'AbC', charset: 'UTF-8' });
  });

  it('matches the exact type/subtype', () => {
    expect(parseMediaType('application/jsonx')?.type).toBe('application/jsonx');
    expect(parseMediaType('application/json ; charset=utf-8')?.type).toBe('application/json');
    expect(parseMediaType('  text/plain  ')?.type).toBe('text/plain');
  });

  it('unquotes quoted values and resolves backslash escapes', () => {
    expect(params('multipart/form-data; boundary="a b;c=d"')).toEqual({ boundary: 'a b;c=d' });
    expect(params('text/plain; x="say \\"hi\\" \\\\ ok"')).toEqual({ x: 'say "hi" \\ ok' });
    expect(params('text/plain; x=""')).toEqual({ x: '' });
  });

  it('allows empty parameters and whitespace around semicolons', () => {
    expect(params('text/plain;;  charset=utf-8 ;\t; a=b;')).toEqual({ charset: 'utf-8', a: 'b' });
  });

  it.each([
    [undefined],
    [''],
    ['text'],
    ['text/'],
    ['/plain'],
    ['text /plain'],
    ['text/plain x'],
    ['text/plain; charset'],
    ['text/plain; charset='],
    ['text/plain; charset = utf-8'],
    ['text/plain; =utf-8'],
    ['text/plain; x="unterminated'],
    ['text/plain; x="bad \\'],
    ['text/plain; x="ctl\u0001"'],
    ['text/plain; x="a"b'],
    ['text/plain; x=a b'],
    ['text/pl\u00e4in'],
    ['multipart/form-data; boundary=a; BOUNDARY=b'],
  ])('refuses %j', (header) => {
    expect(parseMediaType(header)).toBeUndefined();
  });

  it('refuses values longer than 1 KiB without parsing them', () => {
    const head = 'text/plain; x=';
    expect(parseMediaType(head + 'a'.repeat(MAX_MEDIA_TYPE_LENGTH - head.length))).toBeDefined();
    expect(parseMediaType(head + 'a'.repeat(MAX_MEDIA_TYPE_LENGTH))).toBeUndefined();
  });

  it('runs in linear time on adversarial input', () => {
    const started = performance.now();
    for (let i = 0; i < 1000; i++) {
      parseMediaType('a/b' + ';'.repeat(1000));
      parseMediaType('a/b; x="' + '\\"'.repeat(500));
      parseMediaType('a/b' + '; x=y'.repeat(200));
    }
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
