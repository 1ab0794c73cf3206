import { GatewayTimeoutException, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import type { SijaxModuleOptions, SijaxResponse } from '../../lib';
import { CometStreams } from '../../lib/transports/comet-streams';
import {
  CancellableHandlers,
  ClassLimitedHandlers,
  LifecycleProbe,
  LimitedHandlers,
  TAG_HEADER,
  lifecycleModule,
  trackIntervals,
  watchExchanges,
} from '../fixtures/lifecycle-handlers';
import { baseUrl, ChunkReader, parseChunks, sijaxBody } from '../utils/http-client';
import { until } from '../utils/latch';
import { startApp } from '../utils/test-app';

const GLOBAL_LIMIT_MS = 100;
const AFTER = { type: 'css', selector: '#after', key: 'color', value: 'red' };
const STEP = (n: number) => ({
  type: 'html',
  selector: '#step',
  html: String(n),
  setType: 'replace',
});
const TIMED_OUT = (name: string, ms: number) => ({
  type: 'error',
  status: 504,
  name: 'GatewayTimeoutException',
  error: `Sijax function "${name}" timed out after ${ms} ms`,
});

/**
 * Lets real time pass. Not synchronisation: how much time passed is what these tests are about
 * (a limit must not fire before its own deadline, a silent stream must stay silent).
 */
const elapse = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let sequence = 0;
const nextTag = () => `limits-${++sequence}`;

describe('Time limits', () => {
  let app: INestApplication;
  let probe: LifecycleProbe;
  let url: string;
  let watcher: ReturnType<typeof watchExchanges>;
  const afterProcessed: string[] = [];

  beforeAll(async () => {
    const options: SijaxModuleOptions = {
      timeoutMs: GLOBAL_LIMIT_MS,
      events: {
        afterProcessing: (response: SijaxResponse) => {
          afterProcessed.push(response.callName);
          response.css('#after', 'color', 'red');
        },
      },
    };
    app = await startApp([lifecycleModule(options, [LimitedHandlers, ClassLimitedHandlers])]);
    probe = app.get(LifecycleProbe);
    url = `${baseUrl(app)}/sijax`;
    watcher = watchExchanges(app.getHttpServer());
  });

  afterAll(async () => {
    watcher.stop();
    for (const call of probe.calls.values()) call.latch(1).open();
    await app.close();
  });

  function stream(name: string): { tag: string; reader: ChunkReader } {
    const tag = nextTag();
    return { tag, reader: new ChunkReader(url, sijaxBody(name, [tag]), { [TAG_HEADER]: tag }) };
  }

  /** Starts a regular call at once (supertest sends on `then`). */
  function plain(name: string) {
    const tag = nextTag();
    const sentAt = Date.now();
    const response = request(app.getHttpServer())
      .post('/sijax')
      .type('form')
      .send(sijaxBody(name, [tag]))
      .then((res) => res);
    return { tag, sentAt, response };
  }

  /** The timed-out handler was told (signal), is parked, and stops at its next step. */
  async function expectStoppedOnResume(tag: string) {
    const call = probe.call(tag);
    expect(call.response?.signal.aborted).toBe(true);
    expect(call.response?.signal.reason).toBeInstanceOf(GatewayTimeoutException);
    expect(call.finallyAt).toBeUndefined(); // it ignores the signal: still parked on its latch
    call.latch(1).open();
    await until(() => call.finallyAt !== undefined, 1000);
    return call;
  }

  it.each([
    ['comet_limited', 40, '@CometCallback({ timeoutMs: 40 }) beats the global 100 ms'],
    ['classLimited', 40, '@CometHandler({ timeoutMs: 40 }) beats the global 100 ms'],
    ['comet_global', GLOBAL_LIMIT_MS, 'no own limit: the global timeoutMs applies'],
  ])(
    'Comet %s times out after %i ms (%s): sent chunks stay, 504 error chunk, after-processing runs',
    async (name, limit) => {
      const { tag, reader } = stream(name);
      const sentAt = Date.now();
      await reader.waitFor((text) => parseChunks(text).length >= 2);
      const timedOutAfter = Date.now() - sentAt;
      await reader.done;

      expect(timedOutAfter).toBeGreaterThanOrEqual(limit - 1);
      expect(parseChunks(reader.text)).toEqual([[STEP(1)], [TIMED_OUT(name, limit)], [AFTER]]);
      expect(afterProcessed).toContain(name);
      const call = await expectStoppedOnResume(tag);
      expect(call.steps).toBe(1); // resumed, it was returned at its next yield
      expect(watcher.get(tag)!.writesAfterEnd).toBe(0); // its step 2 went nowhere
      await until(() => app.get(CometStreams).size === 0);
    },
  );

  it('a per-handler limit longer than the global one lets the Comet call run past the global', async () => {
    const { tag, reader } = stream('comet_patient');
    await reader.waitFor((text) => parseChunks(text).length >= 1);
    await elapse(GLOBAL_LIMIT_MS * 2.5);

    const call = probe.call(tag);
    expect(reader.ended).toBe(false);
    expect(call.response?.signal.aborted).toBe(false);
    call.latch(1).open();
    await reader.done;
    expect(parseChunks(reader.text)).toEqual([[STEP(1)], [STEP(2)], [AFTER]]);
    expect(call.steps).toBe(2);
  });

  it.each([
    ['plain_limited', 40, '@SijaxCallback({ timeoutMs: 40 }) beats the global 100 ms'],
    ['plain_global', GLOBAL_LIMIT_MS, 'no own limit: the global timeoutMs applies'],
  ])('a regular call %s times out after %i ms (%s) with HTTP 504', async (name, limit) => {
    const { tag, sentAt, response } = plain(name);
    const res = await response;

    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(limit - 1);
    expect(res.status).toBe(504);
    expect(res.body).toEqual([TIMED_OUT(name, limit), AFTER]);
    expect(afterProcessed).toContain(name);
    const call = await expectStoppedOnResume(tag);
    expect(call.steps).toBe(1); // an async function cannot be stopped mid-way: it finishes
  });

  it('a regular call with a longer per-handler limit runs past the global one and answers 200', async () => {
    const { tag, response } = plain('plain_patient');
    const call = probe.call(tag);
    await call.started.promise;
    await elapse(GLOBAL_LIMIT_MS * 2.5);
    expect(call.response?.signal.aborted).toBe(false);
    call.latch(1).open();

    const res = await response;
    expect(res.status).toBe(200);
    expect(res.body).toEqual([{ type: 'alert', alert: 'late' }, AFTER]);
  });
});

/** Newlines between the end of the first script chunk and the next chunk (or the end so far). */
function gapAfterFirstChunk(text: string): string {
  const start = text.indexOf('processCommands(');
  if (start < 0) return '';
  const end = text.indexOf('</script>\n', start);
  if (end < 0) return '';
  const rest = text.slice(end + '</script>\n'.length);
  const next = rest.indexOf('<script');
  return next < 0 ? rest : rest.slice(0, next);
}

/** Data events received after the one that completed the first script chunk. */
function chunksAfterFirst(reader: ChunkReader): string[] {
  let seen = '';
  for (let i = 0; i < reader.chunks.length; i++) {
    seen += reader.chunks[i];
    if (parseChunks(seen).length >= 1) return reader.chunks.slice(i + 1);
  }
  return [];
}

/** Lets every parked handler finish, so closing the app does not wait on them. */
async function release(probe: LifecycleProbe, streams: CometStreams): Promise<void> {
  for (const call of probe.calls.values()) call.latch(1).open();
  await until(() => streams.size === 0).catch(() => undefined);
}

describe('Heartbeat', () => {
  async function heartbeatApp(heartbeatMs?: number | false) {
    const options = heartbeatMs === undefined ? {} : { heartbeatMs };
    const app = await startApp([lifecycleModule(options, [CancellableHandlers])]);
    return {
      app,
      probe: app.get(LifecycleProbe),
      streams: app.get(CometStreams),
      url: `${baseUrl(app)}/sijax`,
    };
  }

  /** A `latch_wait` stream of 2 steps, parked after step 1 until its latch 1 opens. */
  function held(url: string) {
    const tag = nextTag();
    const reader = new ChunkReader(url, sijaxBody('latch_wait', [tag, 2]), { [TAG_HEADER]: tag });
    return { tag, reader };
  }

  it('heartbeatMs: 25 sends newline-only chunks while a handler is silent, none after its stream ended', async () => {
    const { app, probe, streams, url } = await heartbeatApp(25);
    const intervals = trackIntervals(); // after listen: the HTTP server arms one of its own
    const watcher = watchExchanges(app.getHttpServer());
    try {
      const a = held(url);
      const b = held(url);
      await Promise.all(
        [a, b].map(({ reader }) => reader.waitFor((text) => gapAfterFirstChunk(text).length >= 2)),
      );
      for (const { reader } of [a, b]) {
        expect(gapAfterFirstChunk(reader.text)).toMatch(/^\n{2,}$/);
        expect(chunksAfterFirst(reader).length).toBeGreaterThanOrEqual(1);
        expect(chunksAfterFirst(reader).every((chunk) => /^\n+$/.test(chunk))).toBe(true);
      }
      expect(intervals.periods).toEqual([12.5]); // one timer for all streams, at half the period

      // A ends; B stays open, so the shared timer keeps ticking past A's end.
      probe.call(a.tag).latch(1).open();
      await a.reader.done;
      const bBefore = b.reader.text.length;
      await b.reader.waitFor((text) => /\n{2,}$/.test(text.slice(bBefore)));
      expect(parseChunks(a.reader.text)).toEqual([[STEP(1)], [STEP(2)]]);
      expect(a.reader.text.endsWith('</script>\n')).toBe(true); // nothing after the last chunk
      expect(watcher.get(a.tag)!.writesAfterEnd).toBe(0);
      expect(watcher.get(a.tag)!.errors).toEqual([]);

      probe.call(b.tag).latch(1).open();
      await b.reader.done;
      await until(() => streams.size === 0);
      expect(watcher.get(b.tag)!.writesAfterEnd).toBe(0);
      expect(intervals.periods).toEqual([]); // no stream open: the timer is gone
    } finally {
      intervals.stop();
      watcher.stop();
      await release(probe, streams);
      await app.close();
    }
  });

  it('heartbeatMs: false arms no timer and sends nothing while a handler is silent', async () => {
    const { app, probe, streams, url } = await heartbeatApp(false);
    const intervals = trackIntervals();
    try {
      const { tag, reader } = held(url);
      await reader.waitFor((text) => parseChunks(text).length >= 1);
      // Six periods of the 25 ms heartbeat above. This cannot be flaky: without a heartbeat
      // nothing is ever written while the handler is parked, however slow the machine; a slow
      // run only looks at a longer window. The test above shows the same check catching them.
      await elapse(150);
      expect(intervals.periods).toEqual([]);
      expect(gapAfterFirstChunk(reader.text)).toBe('');
      expect(chunksAfterFirst(reader)).toEqual([]);

      probe.call(tag).latch(1).open();
      await reader.done;
      expect(parseChunks(reader.text)).toEqual([[STEP(1)], [STEP(2)]]);
    } finally {
      intervals.stop();
      await release(probe, streams);
      await app.close();
    }
  });

  it('the default heartbeat period is 15 s (inspected on the timer: waiting for it is too slow)', async () => {
    const { app, probe, streams, url } = await heartbeatApp();
    const intervals = trackIntervals();
    try {
      const { tag, reader } = held(url);
      await reader.waitFor((text) => parseChunks(text).length >= 1);
      expect(intervals.periods).toEqual([7_500]); // half the 15 s default: no silence exceeds 15 s
      probe.call(tag).latch(1).open();
      await reader.done;
    } finally {
      intervals.stop();
      await release(probe, streams);
      await app.close();
    }
  });
});
