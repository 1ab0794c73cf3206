import type { INestApplication } from '@nestjs/common';
import { join } from 'path';
import { SijaxCancelledError } from '../../lib';
import { CometStreams } from '../../lib/transports/comet-streams';
import {
  CancellableHandlers,
  LifecycleProbe,
  TAG_HEADER,
  lifecycleModule,
  watchExchanges,
} from '../fixtures/lifecycle-handlers';
import { stopChild } from '../deploy/child-processes';
import { startChildApp, type ChildApp } from '../utils/child-app';
import { baseUrl, ChunkReader, parseChunks, sijaxBody } from '../utils/http-client';
import { Latch, until } from '../utils/latch';
import { startApp } from '../utils/test-app';

const SHUTTING_DOWN = {
  type: 'error',
  status: 503,
  name: 'ServiceUnavailableException',
  error: 'The server is shutting down',
};
const STEP = (n: number) => ({
  type: 'html',
  selector: '#step',
  html: String(n),
  setType: 'replace',
});
const CLOSE_LIMIT_MS = 5000;

let sequence = 0;

describe('Graceful shutdown with open Comet streams', () => {
  let app: INestApplication;
  let probe: LifecycleProbe;
  let url: string;

  beforeEach(async () => {
    app = await startApp([lifecycleModule({}, [CancellableHandlers])]);
    app.enableShutdownHooks();
    probe = app.get(LifecycleProbe);
    url = `${baseUrl(app)}/sijax`;
  });

  // Each test closes its app; this is for a test that failed before it did.
  afterEach(async () => {
    for (const call of probe.calls.values()) [1, 2, 3].forEach((i) => call.latch(i).open());
    await app.close();
  });

  function open(name: string, args: unknown[] = []) {
    const tag = `shutdown-${++sequence}`;
    const reader = new ChunkReader(url, sijaxBody(name, [tag, ...args]), { [TAG_HEADER]: tag });
    return { tag, reader, call: probe.call(tag) };
  }

  const firstChunk = (reader: ChunkReader) =>
    reader.waitFor((text) => parseChunks(text).length >= 1);

  it('app.close() ends every open stream with a 503 chunk, runs the handlers’ finally, resolves within 5 s', async () => {
    const generator = open('signal_wait');
    const observable = open('observe');
    const silent = open('async_wait'); // nothing sent yet
    await Promise.all([firstChunk(generator.reader), firstChunk(observable.reader)]);
    await silent.call.started.promise;
    expect(app.get(CometStreams).size).toBe(3);

    const closingAt = Date.now();
    await app.close();
    const closedAt = Date.now();

    expect(closedAt - closingAt).toBeLessThan(CLOSE_LIMIT_MS);
    await Promise.all([generator, observable, silent].map(({ reader }) => reader.done));
    expect(parseChunks(generator.reader.text)).toEqual([[STEP(1)], [SHUTTING_DOWN]]);
    expect(parseChunks(observable.reader.text)).toEqual([
      [{ type: 'html', selector: '#tick', html: '0', setType: 'replace' }],
      [SHUTTING_DOWN],
    ]);
    expect(parseChunks(silent.reader.text)).toEqual([[SHUTTING_DOWN]]);
    for (const { call, reader } of [generator, observable, silent]) {
      expect(reader.ended).toBe(true);
      expect(call.finallyAt).toBeDefined();
      expect(call.finallyAt!).toBeLessThanOrEqual(closedAt); // before close() resolved
      expect(call.response?.signal.reason).toBeInstanceOf(SijaxCancelledError);
    }
    expect(generator.call.steps).toBe(1);
    expect(observable.call.steps).toBe(1);
    expect(silent.call.steps).toBe(0);
  });

  it('close() still resolves within 5 s when a handler ignores its signal', async () => {
    const stubborn = open('latch_wait');
    await firstChunk(stubborn.reader);
    const watcher = watchExchanges(app.getHttpServer());

    const closingAt = Date.now();
    await app.close();
    expect(Date.now() - closingAt).toBeLessThan(CLOSE_LIMIT_MS);

    await stubborn.reader.done;
    expect(parseChunks(stubborn.reader.text)).toEqual([[STEP(1)], [SHUTTING_DOWN]]);
    expect(stubborn.call.finallyAt).toBeUndefined(); // parked on a latch it alone can leave
    stubborn.call.latch(1).open();
    await until(() => stubborn.call.finallyAt !== undefined, 1000);
    expect(stubborn.call.steps).toBe(1); // returned at its next yield
    watcher.stop();
  }, 10_000);

  it('a stream that ends as shutdown begins gets nothing written after its end', async () => {
    const closing = new Latch();
    let closed: Promise<void> | undefined;
    const ending = open('latch_wait', [2]);
    const watcher = watchExchanges(app.getHttpServer(), undefined, (exchange) => {
      if (exchange.tag !== ending.tag) return;
      closed = app.close(); // from inside res.end(): the stream's 'close' event is still to come
      closing.open();
    });
    try {
      await firstChunk(ending.reader);
      ending.call.latch(1).open();
      await closing.promise;
      await closed;
      await ending.reader.done;

      const exchange = watcher.get(ending.tag)!;
      expect(parseChunks(ending.reader.text)).toEqual([[STEP(1)], [STEP(2)]]);
      expect(exchange.errors.map((error) => error.message)).toEqual([]);
      expect(exchange.writesAfterEnd).toBe(0);
    } finally {
      watcher.stop();
    }
  });
});

const PLATFORM = (globalThis as { SIJAX_PLATFORM?: string }).SIJAX_PLATFORM ?? 'express';
const SHUTDOWN_APP = join(__dirname, '..', 'fixtures', 'shutdown-app.js');

describe('SIGTERM to a real app process', () => {
  let app: ChildApp | undefined;

  afterEach(() => stopChild(app?.child, 'SIGKILL'));

  it('ends the open stream with a 503 chunk, runs the handler’s finally and exits 0 within 5 s', async () => {
    app = await startChildApp(SHUTDOWN_APP, { SIJAX_PLATFORM: PLATFORM });
    const { child, events, port } = app;

    const reader = new ChunkReader(`http://127.0.0.1:${port}/sijax`, sijaxBody('forever'));
    await reader.waitFor((text) => parseChunks(text).length >= 1);
    const signalledAt = Date.now();
    const exitedAt = child.exited.then(() => Date.now());
    child.process.kill('SIGTERM');

    await reader.done;
    const { code, signal } = await child.exited;
    expect({ code, signal, stderr: child.stderr() }).toEqual({
      code: 0,
      signal: null,
      stderr: '',
    });
    expect((await exitedAt) - signalledAt).toBeLessThan(CLOSE_LIMIT_MS);
    expect(parseChunks(reader.text)).toEqual([
      [{ type: 'html', selector: '#status', html: 'running', setType: 'replace' }],
      [SHUTTING_DOWN],
    ]);
    expect(reader.ended).toBe(true);
    expect(events.all.map((event) => event.event)).toContain('finally');
  }, 20_000);
});
