import type { INestApplication } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { SijaxCancelledError } from '../../lib';
import { CometStreams } from '../../lib/transports/comet-streams';
import {
  CancellableHandlers,
  GateGuard,
  GateInterceptor,
  LifecycleProbe,
  TAG_HEADER,
  lifecycleModule,
  watchExchanges,
  type CallRecord,
  type ServerExchange,
} from '../fixtures/lifecycle-handlers';
import { baseUrl, ChunkReader, parseChunks, sijaxBody } from '../utils/http-client';
import { until } from '../utils/latch';
import { startApp } from '../utils/test-app';

describe('Cancellation: the browser closes a Comet stream mid-way', () => {
  let app: INestApplication;
  let probe: LifecycleProbe;
  let streams: CometStreams;
  let url: string;
  let watcher: ReturnType<typeof watchExchanges>;
  /** How far each handler had got when the server saw its connection close. */
  const stepsAtClose = new Map<string, number>();
  let sequence = 0;

  beforeAll(async () => {
    app = await startApp([
      lifecycleModule({}, [
        CancellableHandlers,
        { provide: APP_GUARD, useClass: GateGuard },
        { provide: APP_INTERCEPTOR, useClass: GateInterceptor },
      ]),
    ]);
    probe = app.get(LifecycleProbe);
    streams = app.get(CometStreams);
    url = `${baseUrl(app)}/sijax`;
    watcher = watchExchanges(app.getHttpServer(), (exchange) => {
      if (exchange.tag) stepsAtClose.set(exchange.tag, probe.call(exchange.tag).steps);
    });
  });

  afterAll(async () => {
    watcher.stop();
    // Let every handler still parked go, so nothing outlives the app.
    for (const call of probe.calls.values()) [1, 2, 3].forEach((i) => call.latch(i).open());
    for (const gate of probe.gates.values()) gate.open.open();
    await app.close();
  });

  /** Starts a tagged call; the tag is its last argument. */
  function open(name: string, args: unknown[] = []): { tag: string; reader: ChunkReader } {
    const tag = `cancel-${++sequence}`;
    const reader = new ChunkReader(url, sijaxBody(name, [tag, ...args]), { [TAG_HEADER]: tag });
    // Destroying the request fails `done`; the tests look at the server side instead.
    reader.done.catch(() => undefined);
    return { tag, reader };
  }

  const firstChunk = (reader: ChunkReader) =>
    reader.waitFor((text) => parseChunks(text).length >= 1);

  /** Aborts the client and waits until the server saw the close; returns the abort time. */
  async function abort(reader: ChunkReader, tag: string): Promise<number> {
    const abortedAt = Date.now();
    reader.abort();
    await until(() => watcher.get(tag)?.closedAt !== undefined);
    return abortedAt;
  }

  function expectCancelled(call: CallRecord) {
    expect(call.response?.signal.aborted).toBe(true);
    expect(call.response?.signal.reason).toBeInstanceOf(SijaxCancelledError);
  }

  function expectNothingWrittenAfterClose(exchange: ServerExchange | undefined) {
    expect(exchange).toBeDefined();
    expect(exchange!.writesAfterClose).toBe(0);
  }

  it('async generator awaiting a signal-aware promise: finally runs within 100 ms, nothing more runs', async () => {
    const { tag, reader } = open('signal_wait');
    await firstChunk(reader);
    const call = probe.call(tag);
    await until(() => call.steps === 1); // parked in its first await
    const abortedAt = await abort(reader, tag);
    await until(() => call.finallyAt !== undefined, 1000);

    expect(call.finallyAt! - abortedAt).toBeLessThan(100);
    expectCancelled(call);
    expect(call.error).toBeInstanceOf(SijaxCancelledError); // the await in flight was stopped
    // Opening the latch it was waiting on changes nothing: the handler is gone.
    call.latch(1).open();
    await until(() => streams.size === 0);
    expect(call.steps).toBe(1);
    expect(stepsAtClose.get(tag)).toBe(1);
    expectNothingWrittenAfterClose(watcher.get(tag));
  });

  it('async generator ignoring the signal: returned at its next yield, nothing after it runs', async () => {
    const { tag, reader } = open('latch_wait');
    await firstChunk(reader);
    const call = probe.call(tag);
    await until(() => call.steps === 1);
    await abort(reader, tag);
    expectCancelled(call);
    expect(call.finallyAt).toBeUndefined(); // still parked on its plain latch

    const releasedAt = Date.now();
    call.latch(1).open(); // the handler's next step comes: it queues step 2 and yields
    await until(() => call.finallyAt !== undefined, 1000);

    expect(call.finallyAt! - releasedAt).toBeLessThan(100);
    expect(call.steps).toBe(1); // the code after that yield never ran
    expect(stepsAtClose.get(tag)).toBe(1);
    await until(() => streams.size === 0);
    expectNothingWrittenAfterClose(watcher.get(tag));
  });

  it('sync generator blocked on backpressure: returned within 100 ms of the close', async () => {
    const { tag, reader } = open('sync_flood');
    await firstChunk(reader);
    reader.response!.pause(); // the browser stops reading: the socket fills up
    const exchange = watcher.get(tag)!;
    const call = probe.call(tag);
    let last = -1;
    let stable = 0;
    // Blocked: the server has more to write than the socket takes, and the generator stopped.
    await until(() => {
      stable = call.steps === last ? stable + 1 : 0;
      last = call.steps;
      return exchange.res.writableNeedDrain && stable >= 20;
    });
    expect(call.finallyAt).toBeUndefined();
    const stepsBefore = call.steps;

    const abortedAt = await abort(reader, tag);
    await until(() => call.finallyAt !== undefined, 1000);

    expect(call.finallyAt! - abortedAt).toBeLessThan(100);
    expectCancelled(call);
    expect(call.steps).toBe(stepsAtClose.get(tag));
    expect(call.steps).toBe(stepsBefore);
    expect(call.steps).toBeLessThan(2000); // it was stopped, not run to its end
    await until(() => streams.size === 0);
    expectNothingWrittenAfterClose(exchange);
  });

  it('Observable handler: unsubscribed (teardown within 100 ms), later emissions never reach it', async () => {
    const { tag, reader } = open('observe');
    await firstChunk(reader);
    const call = probe.call(tag);
    expect(call.subject.observed).toBe(true);
    const abortedAt = await abort(reader, tag);
    await until(() => call.finallyAt !== undefined, 1000);

    expect(call.finallyAt! - abortedAt).toBeLessThan(100);
    expectCancelled(call);
    expect(call.subject.observed).toBe(false);
    call.subject.next(1);
    call.subject.next(2);
    expect(call.steps).toBe(1);
    expect(stepsAtClose.get(tag)).toBe(1);
    await until(() => streams.size === 0);
    expectNothingWrittenAfterClose(watcher.get(tag));
  });

  it('async function awaiting a promise tied to response.signal: the await stops within 100 ms', async () => {
    const { tag, reader } = open('async_wait');
    const call = probe.call(tag);
    await call.started.promise; // nothing is sent before it returns: abort while it awaits
    const abortedAt = await abort(reader, tag);
    await until(() => call.finallyAt !== undefined, 1000);

    expect(call.finallyAt! - abortedAt).toBeLessThan(100);
    expectCancelled(call);
    expect(call.error).toBeInstanceOf(SijaxCancelledError);
    call.latch(1).open();
    await until(() => streams.size === 0);
    expect(call.steps).toBe(0);
    expect(reader.text).toBe('');
    expect(watcher.get(tag)!.writes).toBe(0);
  });

  it('one stream closing leaves another stream of the same handler running', async () => {
    const gone = open('signal_wait');
    const kept = open('signal_wait');
    await Promise.all([firstChunk(gone.reader), firstChunk(kept.reader)]);
    await abort(gone.reader, gone.tag);
    await until(() => probe.call(gone.tag).finallyAt !== undefined, 1000);

    const survivor = probe.call(kept.tag);
    expect(survivor.response?.signal.aborted).toBe(false);
    for (const step of [1, 2]) {
      survivor.latch(step).open();
      await kept.reader.waitFor((text) => parseChunks(text).length === step + 1);
    }
    survivor.latch(3).open();
    await kept.reader.done;
    expect(parseChunks(kept.reader.text)).toHaveLength(3);
    expect(survivor.finallyAt).toBeDefined();
    expect(survivor.error).toBeUndefined();
  });

  it('a browser that left before the handler started: the call is not kept running or open', async () => {
    const tag = `cancel-${++sequence}`;
    const gate = probe.gate(tag);
    const reader = new ChunkReader(url, sijaxBody('signal_wait', [tag]), { [TAG_HEADER]: tag });
    reader.done.catch(() => undefined);
    await gate.reached.promise; // held by a guard, before the Sijax route handler runs
    await abort(reader, tag);
    gate.open.open();
    await gate.handled.promise; // the Sijax route handler has returned

    const call = probe.call(tag);
    // Either the handler never starts, or it is cancelled at once: no open stream remains.
    const settled = () => streams.size === 0 && (!call.started.opened || !!call.finallyAt);
    await until(settled, 1000).catch(() => undefined);
    expect({
      openStreams: streams.size,
      handlerStarted: call.started.opened,
      finallyRan: call.finallyAt !== undefined,
      signalFired: call.response?.signal.aborted ?? false,
    }).toEqual({
      openStreams: 0,
      handlerStarted: call.started.opened,
      finallyRan: call.started.opened,
      signalFired: call.started.opened,
    });
    expectNothingWrittenAfterClose(watcher.get(tag));
  });
});
