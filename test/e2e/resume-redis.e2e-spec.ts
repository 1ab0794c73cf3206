import type { INestApplication } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { SijaxModuleOptions } from '../../lib';
import { RedisCallStore } from '../../lib/redis';
import { ResumableHandlers, ResumeProbe, TagGuard } from '../fixtures/resumable-handlers';
import { testAppModule } from '../fixtures/test-app.module';
import { baseUrl, ChunkReader } from '../utils/http-client';
import { until } from '../utils/latch';
import { startRedis, type TestRedis } from '../utils/redis-server';
import {
  callBody,
  formBody,
  newCallId,
  progressOf,
  sse,
  stepTexts,
} from '../utils/resume-exchange';
import { startApp } from '../utils/test-app';

/** The scenarios of resume.e2e-spec.ts, on one instance whose store is Redis. */
describe('Resumable calls (RedisCallStore, one instance)', () => {
  let redis: TestRedis;
  let client: Redis;
  let store: RedisCallStore;
  let app: INestApplication;
  let probe: ResumeProbe;
  let url: string;
  let sequence = 0;

  beforeAll(async () => {
    redis = await startRedis();
  }, 30_000);

  afterAll(async () => {
    await redis?.stop();
  });

  async function start(resume: SijaxModuleOptions['resume'] = {}): Promise<void> {
    client = redis.client();
    store = new RedisCallStore(client);
    app = await startApp([
      testAppModule(
        { resume: { ...resume, store } },
        { providers: [ResumeProbe, ResumableHandlers, TagGuard] },
      ),
    ]);
    probe = app.get(ResumeProbe);
    url = `${baseUrl(app)}/sijax`;
  }

  afterEach(async () => {
    probe?.openAll();
    await app?.close();
    store?.close();
    client?.disconnect();
  });

  const tag = () => `redis-${++sequence}`;
  const release = (t: string, upTo: number) => {
    for (let step = 1; step <= upTo; step++) probe.latch(t, step).open();
  };

  it('cut after batch 2 of 10: a reconnect gets 3..10 exactly once, the handler ran once', async () => {
    await start();
    const t = tag();
    const callId = newCallId();
    const first = new ChunkReader(url, callBody(callId, 'resumableProgress', [t, 10]), sse());
    first.done.catch(() => undefined);
    release(t, 1);
    await first.waitFor((text) => progressOf(text).ids.length === 2);
    first.abort();
    release(t, 9);
    await until(() => probe.finallies.get(t) === 1, 5000, 'the handler to end');
    const resumed = new ChunkReader(
      url,
      callBody(callId, 'resumableProgress', [t, 10]),
      sse({ 'Last-Event-ID': '2' }),
    );
    await resumed.done;
    const { ids, steps, ended } = progressOf(resumed.text);
    expect(steps).toEqual(stepTexts(3, 10, 10));
    expect(ids).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(resumed.text).toContain('{"value":10,"type":"return"}');
    expect(ended).toBe(true);
    expect(probe.runs.get(t)).toBe(1);
  });

  it('a reconnect while the call runs gets what it missed, then the live batches', async () => {
    await start();
    const t = tag();
    const callId = newCallId();
    const first = new ChunkReader(url, callBody(callId, 'resumableProgress', [t, 4]), sse());
    first.done.catch(() => undefined);
    await first.waitFor((text) => progressOf(text).ids.length === 1);
    first.abort();
    release(t, 1);
    await until(() => probe.steps.get(t) === 2, 5000, 'step 2');
    const resumed = new ChunkReader(
      url,
      callBody(callId, 'resumableProgress', [t, 4]),
      sse({ 'Last-Event-ID': '1' }),
    );
    await resumed.waitFor((text) => progressOf(text).steps.includes('2 of 4'));
    release(t, 3);
    await resumed.done;
    expect(progressOf(resumed.text).steps).toEqual(stepTexts(2, 4, 4));
    expect(probe.runs.get(t)).toBe(1);
  });

  it('a second client attaches mid-call: the replay, then the live batches', async () => {
    await start();
    const t = tag();
    const callId = newCallId();
    const first = new ChunkReader(url, callBody(callId, 'resumableProgress', [t, 3]), sse());
    await first.waitFor((text) => progressOf(text).ids.length === 1);
    const attached = new ChunkReader(url, formBody({ sijax_attach: callId }), sse());
    await attached.waitFor((text) => progressOf(text).steps.includes('1 of 3'));
    release(t, 2);
    await Promise.all([first.done, attached.done]);
    expect(progressOf(attached.text).steps).toEqual(stepTexts(1, 3, 3));
    expect(progressOf(first.text).steps).toEqual(stepTexts(1, 3, 3));
    expect(probe.runs.get(t)).toBe(1);
  });

  it('an explicit cancel stops the handler at once', async () => {
    await start();
    const t = tag();
    const callId = newCallId();
    const first = new ChunkReader(url, callBody(callId, 'resumableProgress', [t, 5]), sse());
    await first.waitFor((text) => progressOf(text).ids.length === 1);
    const cancel = new ChunkReader(url, formBody({ sijax_cancel: callId }), {
      Accept: 'application/json',
    });
    await cancel.done;
    expect(cancel.response?.statusCode).toBe(200);
    expect(probe.signals.get(t)?.aborted).toBe(true);
    await first.done;
    expect(progressOf(first.text).ended).toBe(true);
  });

  it('after the end, within retainMs the rest and the end; after it, 410', async () => {
    await start({ retainMs: 300 });
    const t = tag();
    const callId = newCallId();
    release(t, 3);
    const first = new ChunkReader(url, callBody(callId, 'resumableProgress', [t, 3]), sse());
    await first.done;
    const again = new ChunkReader(
      url,
      callBody(callId, 'resumableProgress', [t, 3]),
      sse({ 'Last-Event-ID': '1' }),
    );
    await again.done;
    expect(progressOf(again.text)).toMatchObject({ steps: ['2 of 3', '3 of 3'], ended: true });
    const deadline = Date.now() + 5000;
    while ((await store.info(callId)) !== undefined) {
      if (Date.now() > deadline) throw new Error('the log did not expire');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const gone = new ChunkReader(
      url,
      callBody(callId, 'resumableProgress', [t, 3]),
      sse({ 'Last-Event-ID': '1' }),
    );
    await gone.done;
    expect(gone.response?.statusCode).toBe(410);
    expect(JSON.parse(gone.text)).toEqual([
      expect.objectContaining({ type: 'error', status: 410, name: 'CallGoneError' }),
    ]);
    expect(probe.runs.get(t)).toBe(1);
  });
});
