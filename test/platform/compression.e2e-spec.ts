import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import compression from 'compression';
import { request } from 'node:http';
import { createGunzip } from 'node:zlib';
import { testAppModule } from '../fixtures/test-app.module';
import { Probe } from '../fixtures/test-handlers';
import { baseUrl, parseChunks, sijaxBody } from '../utils/http-client';
import { steady, until } from '../utils/latch';

/** Express's `compression` middleware: chunks must still leave one by one, and cancel must work. */
describe('Comet behind the compression middleware', () => {
  let app: INestApplication;
  let probe: Probe;

  beforeEach(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [testAppModule()] }).compile();
    app = moduleRef.createNestApplication({ forceCloseConnections: true, logger: false });
    app.use(compression());
    await app.listen(0, '127.0.0.1');
    probe = app.get(Probe);
  });

  afterEach(() => app.close());

  /** Posts a call accepting gzip; `text()` is what has been decompressed so far. */
  function gzipCall(name: string, args: unknown[]) {
    let text = '';
    let ended = false;
    let encoding: string | undefined;
    const req = request(`${baseUrl(app)}/sijax`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Accept-Encoding': 'gzip' },
    });
    const response = new Promise<import('node:http').IncomingMessage>((resolve) =>
      req.on('response', (res) => {
        encoding = res.headers['content-encoding'];
        const gunzip = res.pipe(createGunzip());
        gunzip.setEncoding('utf8');
        gunzip.on('data', (chunk: string) => (text += chunk));
        gunzip.on('end', () => (ended = true));
        resolve(res);
      }),
    );
    req.on('error', () => undefined);
    req.end(sijaxBody(name, args));
    return { req, response, text: () => text, ended: () => ended, encoding: () => encoding };
  }

  it('flushes each chunk through gzip while the handler is held', async () => {
    const call = gzipCall('run', [2]);
    await until(() => parseChunks(call.text()).length === 1);
    expect(call.encoding()).toBe('gzip');
    expect(probe.finished).toBe(false);
    probe.latch(1).open();
    await until(() => parseChunks(call.text()).length === 2);
    expect(call.ended()).toBe(false);
    probe.latch(2).open();
    await until(() => call.ended());
    expect(parseChunks(call.text())).toHaveLength(3);
  });

  it('cancels a handler blocked on backpressure when the client leaves', async () => {
    const call = gzipCall('flood', [1_000_000]);
    const res = await call.response;
    res.pause(); // stop reading: gzip and the socket fill up, the handler must block
    // Blocked: the step count stays put for 100 event-loop turns in a row.
    await steady(() => probe.floodSteps, 100);
    expect(probe.finished).toBe(false);
    call.req.destroy();
    await until(() => probe.finallyRan);
    expect(probe.finished).toBe(false);
    expect(probe.floodSteps).toBeLessThan(1_000_000);
  });
});
