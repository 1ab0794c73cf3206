import { MeterVerdict, MultipartMeter } from './multipart-meter';

const part = (headers: string, body: string) => `--b\r\n${headers}\r\n\r\n${body}\r\n`;
const field = (name: string, value: string) =>
  part(`Content-Disposition: form-data; name="${name}"`, value);

/** Feeds `body` in pieces of `size` bytes; the verdict of the first piece that is not ok. */
function meter(body: string, size: number, maxHeader = 64, maxContent = 1000, boundary = 'b') {
  const m = new MultipartMeter(boundary, maxHeader, maxContent);
  const bytes = Buffer.from(body, 'latin1');
  let verdict: MeterVerdict = 'ok';
  for (let i = 0; i < bytes.length && verdict === 'ok'; i += size) {
    verdict = m.feed(bytes.subarray(i, i + size));
  }
  return { verdict, content: m.contentBytes };
}

/** The same verdict (and count, if ok) however the body is cut into chunks. */
function measure(body: string, maxHeader?: number, maxContent?: number) {
  const whole = meter(body, body.length, maxHeader, maxContent);
  for (const size of [1, 2, 3, 5, 7, 13]) {
    const cut = meter(body, size, maxHeader, maxContent);
    expect(whole.verdict === 'ok' ? cut : cut.verdict).toEqual(
      whole.verdict === 'ok' ? whole : whole.verdict,
    );
  }
  return whole;
}

describe('MultipartMeter', () => {
  it('counts part bodies, not delimiters or header blocks', () => {
    const body = field('a', 'hello') + field('b', '') + field('c', 'xy') + '--b--';
    expect(measure(body)).toEqual({ verdict: 'ok', content: 7 });
  });

  it('counts the preamble and the epilogue, where busboy hides them', () => {
    const body = 'preamble\r\n' + field('a', 'v') + '--b--\r\nepilogue';
    expect(measure(body)).toEqual({ verdict: 'ok', content: 8 + 1 + 10 });
  });

  it('counts a delimiter that follows no CRLF as content', () => {
    const body = field('a', 'v--b\r\nx') + '--b--';
    expect(measure(body)).toEqual({ verdict: 'ok', content: 7 });
  });

  it('counts everything after the closing delimiter as content', () => {
    const body = '--b--' + field('a', 'v');
    expect(measure(body).content).toBe(Buffer.byteLength(field('a', 'v')));
  });

  it('counts the body of a part without a form-data disposition', () => {
    expect(measure(part('X-Other: 1', 'skipped') + '--b--').content).toBe(7);
  });

  it('allows a header block of the limit, refuses one byte more', () => {
    // As in busboy, a block starts just after the boundary: the CRLF ending that line is in it.
    const header = (size: number) => 'X: ' + 'h'.repeat(size - 2 - 3);
    expect(measure(part(header(64), 'v') + '--b--')).toEqual({ verdict: 'ok', content: 1 });
    expect(measure(part(header(65), 'v') + '--b--').verdict).toBe('header-too-large');
    expect(measure(part(header(65), 'v') + '--b--', 65)).toEqual({ verdict: 'ok', content: 1 });
  });

  it('refuses a header block that never ends, before it is complete', () => {
    expect(measure('--b\r\n' + 'h'.repeat(100)).verdict).toBe('header-too-large');
    expect(meter('--b\r\n' + 'h'.repeat(100), 10).content).toBe(0);
  });

  it('measures a header block cut off by the next delimiter', () => {
    expect(measure('--b\r\nX: 1\r\n' + field('a', 'v') + '--b--').content).toBe(1);
    expect(measure('--b\r\n' + 'h'.repeat(65) + '\r\n' + field('a', 'v')).verdict).toBe(
      'header-too-large',
    );
  });

  it('allows content up to the limit, refuses one byte more', () => {
    expect(measure(field('a', 'x'.repeat(10)) + '--b--', 64, 10).verdict).toBe('ok');
    expect(measure(field('a', 'x'.repeat(11)) + '--b--', 64, 10).verdict).toBe('body-too-large');
    expect(measure('p'.repeat(11) + '\r\n--b--', 64, 10).verdict).toBe('body-too-large');
    expect(measure('--b--\r\n' + 'e'.repeat(11), 64, 10).verdict).toBe('body-too-large');
  });

  it('finds a long boundary and a header end split anywhere across chunks', () => {
    const boundary = 'sijaxBoundary0123456789';
    const body =
      `preamble\r\n--${boundary}\r\nContent-Disposition: form-data; name="a"\r\n\r\n` +
      `one\r\n--${boundary}x\r\n--${boundary}\r\nX: y\r\n\r\n\r\n--${boundary}--\r\nend`;
    // Content: the preamble, "one", the empty body and the epilogue. What follows a delimiter up
    // to its CRLF ("x") begins a header block, as busboy reads it.
    const content = 'preamble'.length + 'one'.length + '\r\nend'.length;
    for (let size = 1; size <= body.length; size++) {
      expect(meter(body, size, 64, 1000, boundary)).toEqual({ verdict: 'ok', content });
    }
  });

  it('stays linear on a MiB of tiny parts and of unfinished headers', () => {
    const started = performance.now();
    const tiny = new MultipartMeter('b', 16384, 1 << 30);
    const unfinished = new MultipartMeter('b', 1 << 30, 1 << 30);
    const parts = Buffer.from('\r\n--b\r\nX'.repeat(131072), 'latin1');
    const header = Buffer.from(
      '--b\r\n' + 'Content-Disposition: name=\r\n'.repeat(37450),
      'latin1',
    );
    for (let i = 0; i < parts.length; i += 65536) tiny.feed(parts.subarray(i, i + 65536));
    for (let i = 0; i < header.length; i += 65536) unfinished.feed(header.subarray(i, i + 65536));
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
