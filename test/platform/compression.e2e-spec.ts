import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import compression from 'compression';
import type { EventEmitter } from 'node:events';
import { request, type ServerResponse } from 'node:http';
import { createGunzip } from 'node:zlib';
import { testAppModule } from '../fixtures/test-app.module';
import { Probe } from '../fixtures/test-handlers';
import { baseUrl, parseChunks, sijaxBody } from '../utils/http-client';
import { steady, until } from '../utils/latch';

/** Express's `compression` middleware: chunks must still leave one by one, and cancel must work. */
describe('Comet behind the compression middleware', () => {
  let app: INestApplication;
  let probe: Probe;
  let zlibStreams: EventEmitter[];

  beforeEach(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [testAppModule()] }).compile();
    app = moduleRef.createNestApplication({ forceCloseConnections: true, logger: false });
    app.use(compression());
    // `compression` hands 'drain' listeners to its zlib stream and returns it from `on`: kept
    // here, to count what is left on it.
    zlibStreams = [];
    app.use((_req: unknown, res: ServerResponse, next: () => void) => {
      const on = res.on;
      res.on = function (this: ServerResponse, type: string, listener: Parameters<typeof on>[1]) {
        const target: unknown = on.call(this, type, listener);
        if (type === 'drain' && target !== this) zlibStreams.push(target as EventEmitter);
        return target;
      } as typeof res.on;
      next();
    });
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

  it('waits for many drains behind gzip without piling up listeners', async () => {
    const call = gzipCall('flood', [1_000_000]);
    const res = await call.response;
    // Reading in spurts: each time the handler is held (a wait for 'drain'), then let go.
    for (let wait = 0; wait < 12; wait++) {
      res.pause();
      await steady(() => probe.floodSteps, 20);
      expect(probe.finished).toBe(false);
      res.resume();
      const steps = probe.floodSteps;
      await until(() => probe.floodSteps > steps);
    }
    expect(new Set(zlibStreams).size).toBe(1);
    // A listener a wait would leave one per wait there (and call them all on each drain).
    expect(zlibStreams[0].listenerCount('drain')).toBeLessThanOrEqual(1);
    call.req.destroy();
    await until(() => probe.finallyRan);
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
