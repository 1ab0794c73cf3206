import { PayloadTooLargeException } from '@nestjs/common';
import {
  END,
  field,
  multipartExchange,
  part,
  refusal,
} from '../../../test/utils/multipart-exchange';
import { readMultipartFields } from './multipart';

const post = multipartExchange(readMultipartFields, { bodyLimit: 1 << 20 });

describe('readMultipartFields limits', () => {
  const tooLarge = { status: 413, message: 'Sijax request body is larger than 12 bytes' };

  it('counts field values, skipped files and the epilogue against bodyLimit', async () => {
    const limits = { bodyLimit: 12 };
    // 10 bytes of values and the CRLF after the closing delimiter.
    expect(
      (await post(field('a', '12345') + field('b', '67890') + END, { limits })).fields,
    ).toEqual([
      ['a', '12345'],
      ['b', '67890'],
    ]);
    expect(
      refusal(await post(field('a', '123456') + field('b', '67890') + END, { limits })),
    ).toEqual(tooLarge);
    const file = part('Content-Disposition: form-data; name="f"; filename="f"', 'x'.repeat(13));
    expect(refusal(await post(file + END, { limits }))).toEqual(tooLarge);
    expect(refusal(await post('p'.repeat(13) + '\r\n' + END, { limits }))).toEqual(tooLarge);
  });

  it('refuses at once, without reading or draining the rest of the body', async () => {
    const body = [field('a', 'x'.repeat(64 * 1024)), 'x'.repeat(32 << 20)];
    const outcome = await post(body, { limits: { bodyLimit: 1024 }, end: false });
    expect(outcome.error).toBeInstanceOf(PayloadTooLargeException);
    expect(outcome.req.readableFlowing).toBe(false);
    expect(outcome.req.complete).toBe(false);
    expect(outcome.bytesRead).toBeLessThan(16 << 20); // draining would take all 32 MiB
  });

  it('refuses more than maxParts parts', async () => {
    const limits = { maxParts: 3 };
    const three = field('a', '1') + field('b', '2') + part('X: 1', 'skipped parts count too');
    expect((await post(three + END, { limits })).fields).toHaveLength(2);
    expect(refusal(await post(three + field('d', '4') + END, { limits }))).toEqual({
      status: 413,
      message: 'Sijax request body has more than 3 parts',
    });
  });

  it('refuses a field name longer than maxFieldNameSize bytes', async () => {
    const limits = { maxFieldNameSize: 6 };
    expect((await post(field('\xc3\xa9\xc3\xa9\xc3\xa9', 'v') + END, { limits })).fields).toEqual([
      ['ééé', 'v'],
    ]);
    expect(refusal(await post(field('abcdefg', 'v') + END, { limits }))).toEqual({
      status: 413,
      message: 'Sijax request body has a field name longer than 6 bytes',
    });
  });

  it('reads a header block of maxHeaderSize whole, refuses one byte more', async () => {
    // The block runs from the CRLF after the boundary to the CRLFCRLF; the name comes last, where
    // busboy alone would silently cut it (a long name can turn into "sijax_rq").
    const block = (size: number) => {
      const disposition = 'Content-Disposition: form-data; name="sijax_rq_long"';
      return `X-Pad: ${'p'.repeat(size - 2 - 'X-Pad: '.length - 2 - disposition.length)}\r\n${disposition}`;
    };
    const limits = { maxHeaderSize: 200 };
    expect((await post(part(block(200), 'v') + END, { limits })).fields).toEqual([
      ['sijax_rq_long', 'v'],
    ]);
    expect(refusal(await post(part(block(201), 'v') + END, { limits }))).toEqual({
      status: 413,
      message: 'Sijax request body has a part header block larger than 200 bytes',
    });
  });

  it('never drops header lines for their number', async () => {
    // busboy's default headerPairs (2000) would drop the disposition and skip the part silently.
    const many = 'A: 1\r\n'.repeat(2500) + 'Content-Disposition: form-data; name="a"';
    expect((await post(part(many, 'v') + END)).fields).toEqual([['a', 'v']]);
  });

  describe('ReDoS regression (the old reader took 20 s on these)', () => {
    const header = (line: string) => '--b\r\n' + line.repeat(Math.ceil((1 << 20) / line.length));
    it.each([
      ['Content-Disposition:', 413],
      ['Content-Disposition: name=', 413],
      ['Content-Disposition:', 200],
      ['Content-Disposition: name=', 200],
    ])('answers a MiB of %j in one header line within 2 s (%i)', async (line, status) => {
      // 200: the header limit raised so that busboy itself parses the whole line.
      const limits = { bodyLimit: 2 << 20, ...(status === 200 ? { maxHeaderSize: 2 << 20 } : {}) };
      const started = performance.now();
      const outcome = await post(header(line) + '\r\n\r\nv\r\n' + END, { limits });
      expect(performance.now() - started).toBeLessThan(2000);
      if (status === 200) expect(outcome.fields).toEqual([]);
      else expect(outcome.error).toBeInstanceOf(PayloadTooLargeException);
    });
  });
});
