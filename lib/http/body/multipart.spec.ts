import { HttpException } from '@nestjs/common';
import {
  END,
  field,
  multipartExchange,
  part,
  refusal,
} from '../../../test/utils/multipart-exchange';
import { readMultipartFields } from './multipart';

const post = multipartExchange(readMultipartFields, { bodyLimit: 1 << 20 });

describe('readMultipartFields', () => {
  it('reads text fields in body order, duplicates kept', async () => {
    const body = field('sijax_rq', 'hello') + field('a', '') + field('sijax_rq', 'x\r\ny') + END;
    expect((await post(body)).fields).toEqual([
      ['sijax_rq', 'hello'],
      ['a', ''],
      ['sijax_rq', 'x\r\ny'],
    ]);
  });

  it('skips file parts and parts without a name', async () => {
    const body =
      part('Content-Disposition: form-data; name="f"; filename="a.txt"', 'file') +
      part('Content-Disposition: form-data; name="g"; filename=""', 'empty file') +
      part(
        'Content-Disposition: form-data; name="o"\r\nContent-Type: application/octet-stream',
        'x',
      ) +
      part('Content-Disposition: form-data', 'nameless') +
      part('X-Other: 1', 'no disposition') +
      field('kept', 'v') +
      END;
    expect((await post(body)).fields).toEqual([['kept', 'v']]);
  });

  it('parses names as busboy does: x-name is not name', async () => {
    const body =
      part('Content-Disposition: form-data; x-name="sijax_rq"', 'no') +
      part('Content-Disposition: form-data; x-name="sijax_rq"; name="real"', 'yes') +
      END;
    expect((await post(body)).fields).toEqual([['real', 'yes']]);
  });

  it('starts no part at a delimiter that follows no CRLF', async () => {
    const body = field('a', 'v--b\r\n' + 'Content-Disposition: form-data; name="b"\r\n\r\nw') + END;
    expect((await post(body)).fields).toEqual([
      ['a', 'v--b\r\nContent-Disposition: form-data; name="b"\r\n\r\nw'],
    ]);
  });

  it('ignores everything after the closing delimiter', async () => {
    expect((await post(field('a', '1') + END + field('b', '2') + END)).fields).toEqual([
      ['a', '1'],
    ]);
  });

  it('skips a part whose header block has a malformed line, as busboy does', async () => {
    const body =
      part('bad line\r\nContent-Disposition: form-data; name="a"', 'v') + field('b', 'w');
    expect((await post(body + END)).fields).toEqual([['b', 'w']]);
  });

  it.each([
    ['multipart/form-data', 400],
    ['multipart/form-data; boundary=""', 400],
    ['multipart/form-data; boundary=', 400],
    [`multipart/form-data; boundary=${'b'.repeat(71)}`, 400],
    ['multipart/form-data; boundary="a b "', 400],
    ['multipart/form-data; boundary="a@b"', 400],
    ['multipart/form-data; boundary=a; boundary=b', 400],
    ['multipart/form-datax; boundary=b', 415],
    ['multipart/mixed; boundary=b', 415],
    ['application/x-www-form-urlencoded', 415],
  ])('refuses the Content-Type %j with %i', async (type, status) => {
    expect(refusal(await post(field('a', 'v') + END, { type })).status).toBe(status);
  });

  it('takes a quoted boundary with spaces, and any case of the type', async () => {
    const body = field('a', 'v').replace('--b', '--x y') + '--x y--';
    const type = 'Multipart/Form-Data; boundary="x y"';
    expect((await post(body, { type })).fields).toEqual([['a', 'v']]);
  });

  describe('UTF-8', () => {
    it('decodes names and values as UTF-8, split across chunks too', async () => {
      const body = field('caf\xc3\xa9', 'd\xc3\xa9j\xc3\xa0 \xf0\x9f\x98\x80') + END;
      const at = body.indexOf('\x9f'); // inside the emoji
      expect((await post([body.slice(0, at), body.slice(at)])).fields).toEqual([
        ['café', 'déjà 😀'],
      ]);
    });

    it.each([
      ['a value', field('a', 'caf\xe9')],
      ['a value cut inside a sequence', field('a', 'caf\xc3')],
      [
        'a value in a part that claims latin1',
        part(
          'Content-Disposition: form-data; name="a"\r\nContent-Type: text/plain; charset=iso-8859-1',
          'caf\xe9',
        ),
      ],
      ['a name', field('n\xff', 'v')],
      ['an RFC 5987 name', part(`Content-Disposition: form-data; name*=utf-8''%ff`, 'v')],
    ])('refuses invalid UTF-8 in %s', async (_, body) => {
      expect(refusal(await post(body + END))).toEqual({
        status: 400,
        message: 'Sijax request body is not valid UTF-8',
      });
    });
  });

  describe('malformed bodies', () => {
    it.each([
      ['an unexpected end inside a part', field('a', 'v').slice(0, -2)],
      ['an unexpected end inside a header block', '--b\r\nContent-Disposition: form-da'],
      ['no delimiter at all', 'Content-Disposition: form-data; name="a"\r\n\r\nv'],
      ['an empty body', ''],
    ])('refuses %s with a 400 that does not echo the body', async (_, body) => {
      const { status, message } = refusal(await post(body));
      expect(status).toBe(400);
      expect(message).toBe('Sijax request body is not valid multipart/form-data');
    });
  });

  it('rejects with Node’s own error when the client goes away mid-body', async () => {
    const outcome = await post(field('a', 'v'), { end: 'abort' });
    expect(outcome.error).not.toBeInstanceOf(HttpException);
    expect(outcome.error).toMatchObject({ code: 'ECONNRESET' });
  });

  it('leaves no listeners on the request, whatever the outcome', async () => {
    const outcomes = [
      await post(field('a', 'v') + END),
      await post(field('a', 'x'.repeat(100)), { limits: { bodyLimit: 10 }, end: false }),
      await post(field('a', '\xff') + END),
      await post(field('a', 'v')),
      await post(field('a', 'v'), { end: 'abort' }),
    ];
    for (const { listeners } of outcomes) expect(listeners[1]).toBe(listeners[0]);
  });
});
