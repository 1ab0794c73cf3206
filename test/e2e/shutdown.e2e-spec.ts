import type { INestApplication } from '@nestjs/common';
import { spawn, type ChildProcess } from 'child_process';
import { existsSync } from 'fs';
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
const BUILT_LIB = join(__dirname, '..', '..', 'dist', 'lib', 'index.js');

/** The child's stdout as JSON lines, and its exit. */
function runChild(): {
  child: ChildProcess;
  messages: Record<string, unknown>[];
  stderr: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
} {
  const child = spawn(process.execPath, [SHUTDOWN_APP], {
    env: { ...process.env, SIJAX_PLATFORM: PLATFORM, NODE_NO_WARNINGS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const messages: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  let partial = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    for (const line of lines) if (line.startsWith('{')) messages.push(JSON.parse(line));
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>(
    (resolve) => child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  return { child, messages, stderr, exited };
}

describe('SIGTERM to a real app process', () => {
  let child: ChildProcess | undefined;

  afterEach(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  it('ends the open stream with a 503 chunk, runs the handler’s finally and exits 0 within 5 s', async () => {
    if (!existsSync(BUILT_LIB)) {
      throw new Error(`${BUILT_LIB} is missing: run "npm run build:lib" first (npm test does)`);
    }
    const run = runChild();
    child = run.child;
    const failed = run.exited.then(({ code, signal }) => {
      throw new Error(`app exited early (${code ?? signal}): ${run.stderr.join('')}`);
    });
    failed.catch(() => undefined);
    await Promise.race([until(() => run.messages.some((m) => 'port' in m), 15_000), failed]);
    const { port } = run.messages.find((m) => 'port' in m) as { port: number };

    const reader = new ChunkReader(`http://127.0.0.1:${port}/sijax`, sijaxBody('forever'));
    await reader.waitFor((text) => parseChunks(text).length >= 1);
    const signalledAt = Date.now();
    child.kill('SIGTERM');

    await reader.done;
    const { code, signal, at } = await run.exited;
    expect({ code, signal, stderr: run.stderr.join('') }).toEqual({
      code: 0,
      signal: null,
      stderr: '',
    });
    expect(at - signalledAt).toBeLessThan(CLOSE_LIMIT_MS);
    expect(parseChunks(reader.text)).toEqual([
      [{ type: 'html', selector: '#status', html: 'running', setType: 'replace' }],
      [SHUTTING_DOWN],
    ]);
    expect(reader.ended).toBe(true);
    expect(run.messages).toContainEqual({ event: 'finally' });
  }, 20_000);
});
