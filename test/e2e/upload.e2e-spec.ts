import type { INestApplication } from '@nestjs/common';
import { mkdtempSync, readdirSync, rmSync } from 'fs';
import { request, type ClientRequest, type IncomingMessage } from 'http';
import { tmpdir } from 'os';
import { join } from 'path';
import type { SijaxModuleOptions } from '../../lib';
import { RefuseWhenAsked, UploadHandlers, UploadProbe } from '../fixtures/upload-handlers';
import { testAppModule } from '../fixtures/test-app.module';
import { baseUrl, parseChunks } from '../utils/http-client';
import { until } from '../utils/latch';
import { startApp } from '../utils/test-app';

const BOUNDARY = 'sijaxTestBoundary';

type Part =
  | { name: string; value: string }
  | { name: string; filename: string; type?: string; content: string };

/** A multipart body, part by part, in the order given (as a browser sends a form's fields). */
function multipart(parts: Part[]): string {
  let body = '';
  for (const part of parts) {
    body += `--${BOUNDARY}\r\n`;
    if ('filename' in part) {
      body += `Content-Disposition: form-data; name="${part.name}"; filename="${part.filename}"\r\n`;
      body += `Content-Type: ${part.type ?? 'text/plain'}\r\n\r\n${part.content}\r\n`;
    } else {
      body += `Content-Disposition: form-data; name="${part.name}"\r\n\r\n${part.value}\r\n`;
    }
  }
  return body + `--${BOUNDARY}--\r\n`;
}

interface Exchange {
  req: ClientRequest;
  response: Promise<IncomingMessage>;
  text: Promise<string>;
}

/** POSTs to the upload URL; `body` is written whole unless `hold` keeps the request open. */
function post(
  url: string,
  body: string,
  headers: Record<string, string> = {},
  hold = false,
): Exchange {
  const req = request(url, {
    method: 'POST',
    headers: {
      'Content-Type': `multipart/form-data; boundary=${BOUNDARY}`,
      Accept: 'text/event-stream',
      ...(hold ? {} : { 'Content-Length': String(Buffer.byteLength(body)) }),
      ...headers,
    },
  });
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req.on('response', resolve);
    req.on('error', reject);
  });
  const text = response.then(
    (res) =>
      new Promise<string>((resolve, reject) => {
        let all = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (all += chunk));
        res.on('end', () => resolve(all));
        res.on('error', reject);
      }),
  );
  text.catch(() => undefined);
  if (hold) req.write(body);
  else req.end(body);
  return { req, response, text };
}

describe('Upload calls', () => {
  let app: INestApplication;
  let probe: UploadProbe;
  let tmp: string;
  let base: string;

  async function start(options: SijaxModuleOptions = {}): Promise<void> {
    tmp = mkdtempSync(join(tmpdir(), 'sijax-upload-test-'));
    app = await startApp([
      testAppModule(
        { ...options, upload: { tmpDir: tmp, ...options.upload } },
        { providers: [UploadProbe, UploadHandlers, RefuseWhenAsked] },
      ),
    ]);
    probe = app.get(UploadProbe);
    probe.reset();
    base = `${baseUrl(app)}/sijax`;
  }

  afterEach(async () => {
    probe?.hold.open();
    await app?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  const url = (name: string, callId = 'up1') => `${base}?sijax_rq=${name}&sijax_call=${callId}`;
  const spooled = () => readdirSync(tmp);
  const photos = (extra: Part[] = []) =>
    multipart([
      { name: 'sijax_rq', value: 'photos_upload' },
      { name: 'sijax_args', value: '["photos"]' },
      { name: 'title', value: 'Holiday' },
      { name: 'tag', value: 'a' },
      { name: 'tag', value: 'b' },
      { name: '__proto__', value: 'polluted' },
      ...extra,
      { name: 'photo', filename: 'one.txt', content: 'first file' },
      { name: 'photo', filename: 'two.txt', type: 'text/csv', content: 'second,file' },
    ]);

  it('hands the handler its spooled files and the other fields, streams, then removes the files', async () => {
    await start();
    const exchange = post(url('photos_upload'), photos());
    expect((await exchange.response).statusCode).toBe(200);
    const batches = parseChunks(await exchange.text);
    expect(batches).toEqual([
      [{ type: 'html', selector: '#status', html: 'processed one.txt', setType: 'replace' }],
      [{ type: 'html', selector: '#status', html: 'processed two.txt', setType: 'replace' }],
      [
        { type: 'call', call: 'sjxUpload.resetForm', params: ['photos'] },
        { value: 21, type: 'return' },
      ],
    ]);
    expect(
      probe.files.map(({ field, name, type, size, text }) => ({ field, name, type, size, text })),
    ).toEqual([
      { field: 'photo', name: 'one.txt', type: 'text/plain', size: 10, text: 'first file' },
      { field: 'photo', name: 'two.txt', type: 'text/csv', size: 11, text: 'second,file' },
    ]);
    expect(probe.values).toEqual({ title: 'Holiday', tag: ['a', 'b'] });
    expect(Object.getPrototypeOf(probe.values)).toBe(Object.prototype);
    await until(() => spooled().length === 0, 5000, 'the temporary files to go');
  });

  it('removes the files when the handler fails', async () => {
    await start();
    const exchange = post(url('photos_upload'), photos([{ name: 'fail', value: '1' }]));
    const text = await exchange.text;
    expect(text).toContain('"type":"error"');
    expect(text).not.toContain('secret');
    expect(probe.finallyRan).toBe(true);
    await until(() => spooled().length === 0, 5000, 'the temporary files to go');
  });

  it('removes the files when the client aborts during the call', async () => {
    await start();
    const exchange = post(url('photos_upload'), photos([{ name: 'hold', value: '1' }]));
    await until(() => probe.files.length === 2, 5000, 'the handler to read both files');
    expect(spooled()).toHaveLength(2);
    exchange.req.destroy();
    await until(() => probe.signal?.aborted === true, 5000, 'the cancel');
    probe.hold.open();
    await until(() => spooled().length === 0, 5000, 'the temporary files to go');
  });

  it('removes a partial file when the client aborts mid-upload, and never runs the handler', async () => {
    await start();
    const head = photos().split('second,file')[0];
    const exchange = post(url('photos_upload'), head, {}, true);
    await until(() => spooled().length >= 1, 5000, 'the upload to be spooled');
    exchange.req.destroy();
    await until(() => spooled().length === 0, 5000, 'the partial files to go');
    expect(probe.runs).toBe(0);
  });

  it('removes the files of a call over its time limit', async () => {
    await start();
    const body = multipart([{ name: 'f', filename: 'a.txt', content: 'x' }]);
    const text = await post(url('slow_upload'), body).text;
    expect(text).toContain('"status":504');
    await until(() => spooled().length === 0, 5000, 'the temporary files to go');
    expect(probe.finallyRan).toBe(true);
  });

  it('refuses a file over the size limit with 413 at once, removes it, and closes the connection', async () => {
    await start({ upload: { fileSize: 1000 } });
    const exchange = post(
      url('photos_upload'),
      multipart([{ name: 'f', filename: 'big.txt', content: 'z'.repeat(5000) }]),
    );
    const res = await exchange.response;
    expect(res.statusCode).toBe(413);
    expect(res.headers.connection).toBe('close');
    expect(JSON.parse(await exchange.text)).toEqual([
      expect.objectContaining({
        type: 'error',
        status: 413,
        error: 'An uploaded file is larger than 1000 bytes',
      }),
    ]);
    await until(() => spooled().length === 0, 5000, 'the partial file to go');
    expect(probe.runs).toBe(0);
  });

  it('refuses more files than allowed, and a declared length beyond the limits before reading', async () => {
    await start({ upload: { files: 1, fileSize: 100 } });
    const two = await post(url('photos_upload'), photos()).response;
    expect(two.statusCode).toBe(413);
    const declared = post(
      url('photos_upload'),
      '',
      { 'Content-Length': String(10 * 1024 * 1024) },
      true,
    );
    expect((await declared.response).statusCode).toBe(413);
    declared.req.destroy();
    expect(spooled()).toEqual([]);
    expect(probe.runs).toBe(0);
  });

  it("counts the form's own fields against the fields limit, not the Sijax ones", async () => {
    await start({ upload: { fields: 1 } });
    const one = multipart([
      { name: 'sijax_rq', value: 'photos_upload' },
      { name: 'sijax_args', value: '["photos"]' },
      { name: 'sijax_call', value: 'up1' },
      { name: 'title', value: 'Holiday' },
      { name: 'photo', filename: 'one.txt', content: 'first file' },
    ]);
    const exchange = post(url('photos_upload'), one);
    expect((await exchange.response).statusCode).toBe(200);
    expect(probe.values).toEqual({ title: 'Holiday' });
    const two = one.replace(
      '\r\nHoliday\r\n',
      '\r\nHoliday\r\n' +
        `--${BOUNDARY}\r\n` +
        'Content-Disposition: form-data; name="tag"\r\n\r\na\r\n',
    );
    expect((await post(url('photos_upload'), two).response).statusCode).toBe(413);
  });

  it('runs the guards before a byte is stored', async () => {
    await start();
    probe.refuse = true;
    const exchange = post(url('photos_upload'), photos());
    expect((await exchange.response).statusCode).toBe(403);
    expect(spooled()).toEqual([]);
    expect(probe.runs).toBe(0);
  });

  it('in token mode, refuses an upload whose token does not come before its files', async () => {
    await start({ csrf: { token: true } });
    const cookie = { Cookie: 'sijax_csrf=tok' };
    const late = multipart([
      { name: 'f', filename: 'a.txt', content: 'x' },
      { name: 'sijax_csrf', value: 'tok' },
    ]);
    const refused = post(url('photos_upload'), late, cookie);
    expect((await refused.response).statusCode).toBe(403);
    expect(await refused.text).toContain('Missing or invalid Sijax CSRF token');
    expect(spooled()).toEqual([]);
    const early = multipart([
      { name: 'sijax_csrf', value: 'tok' },
      { name: 'f', filename: 'a.txt', content: 'x' },
    ]);
    expect((await post(url('photos_upload'), early, cookie).response).statusCode).toBe(200);
    const header = post(
      url('photos_upload'),
      late.replace(/--sijaxTestBoundary\r\n[^-]*sijax_csrf[\s\S]*?\r\n(?=--)/, ''),
      {
        ...cookie,
        'X-Sijax-CSRF': 'tok',
      },
    );
    expect((await header.response).statusCode).toBe(200);
  });

  it('hands a streaming handler the first part before the last byte is sent', async () => {
    await start();
    const whole = multipart([
      { name: 'note', value: 'rows' },
      { name: 'csv', filename: 'a.csv', content: 'a,1\nb,2' },
      { name: 'csv', filename: 'b.csv', content: 'c,3' },
    ]);
    const cut = whole.indexOf('--sijaxTestBoundary', whole.indexOf('a,1'));
    const exchange = post(url('import_upload'), whole.slice(0, cut), {}, true);
    await probe.firstPart.promise;
    expect(probe.values).toEqual({ note: 'rows' });
    exchange.req.end(whole.slice(cut));
    const batches = parseChunks(await exchange.text);
    expect(batches.flat()).toEqual([
      { type: 'html', selector: '#rows', html: 'a.csv: 7 bytes', setType: 'replace' },
      { type: 'html', selector: '#rows', html: 'b.csv: 3 bytes', setType: 'replace' },
    ]);
    expect(probe.parts).toEqual(['a,1\nb,2', 'c,3']);
    expect(spooled()).toEqual([]);
  });

  it('refuses an upload function posted as a plain form, or a body naming another function', async () => {
    await start();
    const plain = await fetch(base, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'sijax_rq=photos_upload&sijax_args=%5B%22photos%22%5D&sijax_call=c1',
    });
    expect(plain.status).toBe(400);
    const other = post(
      url('photos_upload'),
      multipart([{ name: 'sijax_rq', value: 'import_upload' }]),
    );
    expect((await other.response).statusCode).toBe(400);
    expect(probe.runs).toBe(0);
  });
});
