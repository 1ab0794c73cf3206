import type { INestApplication } from '@nestjs/common';
import { request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Redis } from 'ioredis';
import type { CallStore, SijaxModuleOptions } from '../../lib';
import { RedisCallStore } from '../../lib/redis';
import { SijaxOptions } from '../../lib/sijax-options';
import { CometStreams } from '../../lib/transports/comet-streams';
import { ResumableHandlers, ResumeProbe, TagGuard } from '../fixtures/resumable-handlers';
import { testAppModule } from '../fixtures/test-app.module';
import { baseUrl, ChunkReader } from '../utils/http-client';
import { steady, until } from '../utils/latch';
import { startRedis, type TestRedis } from '../utils/redis-server';
import {
  callBody,
  formBody,
  formBody as body,
  newCallId,
  progressOf,
  sse,
} from '../utils/resume-exchange';
import { startApp } from '../utils/test-app';

/** Where the logs live: the default store, or Redis (a real server, started for the suite). */
interface StoreKind {
  name: string;
  /** The store for one app, or undefined for the module's default. */
  make(): CallStore | undefined;
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
  afterEach(): void;
}

function redisKind(): StoreKind {
  let redis: TestRedis | undefined;
  const made: { store: RedisCallStore; client: Redis }[] = [];
  return {
    name: 'RedisCallStore',
    make() {
      const client = redis!.client();
      const store = new RedisCallStore(client);
      made.push({ store, client });
      return store;
    },
    setUp: async () => void (redis = await startRedis()),
    tearDown: async () => redis?.stop(),
    afterEach() {
      for (const { store, client } of made.splice(0)) {
        void store.close();
        client.disconnect();
      }
    },
  };
}

const memoryKind: StoreKind = {
  name: 'MemoryCallStore',
  make: () => undefined,
  setUp: async () => undefined,
  tearDown: async () => undefined,
  afterEach: () => undefined,
};

describe.each([memoryKind, redisKind()])('Resumable calls ($name)', (kind) => {
  let app: INestApplication;
  let probe: ResumeProbe;
  let url: string;
  let sequence = 0;

  beforeAll(() => kind.setUp(), 30_000);
  afterAll(() => kind.tearDown());

  async function start(options: SijaxModuleOptions = {}): Promise<void> {
    const store = kind.make();
    const resume = { ...options.resume, ...(store ? { store } : {}) };
    app = await startApp([
      testAppModule(
        { ...options, resume },
        { providers: [ResumeProbe, ResumableHandlers, TagGuard] },
      ),
    ]);
    probe = app.get(ResumeProbe);
    url = `${baseUrl(app)}/sijax`;
  }

  afterEach(async () => {
    probe?.openAll();
    await app?.close();
    kind.afterEach();
  });

  const tag = () => `resume-${++sequence}`;

  /** Opens latches 1..n of `t`. */
  const release = (t: string, upTo: number) => {
    for (let step = 1; step <= upTo; step++) probe.latch(t, step).open();
  };

  /**
   * A resumable call of `steps` progress steps (its handler waits for each but the first), once
   * its first batch has come; `call` re-posts it.
   */
  async function runningCall(steps: number) {
    const t = tag();
    const callId = newCallId();
    const call = callBody(callId, 'resumableProgress', [t, steps]);
    const first = new ChunkReader(url, call, sse());
    await first.waitFor((text) => progressOf(text).ids.length === 1);
    return { t, call, first };
  }

  it('cut after batch 2 of 10: a reconnect gets 3..10 exactly once, the handler ran once', async () => {
    await start();
    const t = tag();
    const callId = newCallId();
    const first = new ChunkReader(url, callBody(callId, 'resumableProgress', [t, 10]), sse());
    first.done.catch(() => undefined);
    release(t, 1);
    await first.waitFor((text) => progressOf(text).ids.length === 2);
    // Resumable, with the heartbeat period by which the page tells a silent cut.
    expect(first.headers['x-sijax-resumable']).toBe('15000');
    first.abort();
    // The handler runs on without a reader (it lingers): let it finish meanwhile.
    release(t, 9);
    await until(() => probe.finallies.get(t) === 1, 5000, 'the handler to end');
    const resumed = new ChunkReader(
      url,
      callBody(callId, 'resumableProgress', [t, 10]),
      sse({ 'Last-Event-ID': '2' }),
    );
    await resumed.done;
    const { ids, steps, ended } = progressOf(resumed.text);
    expect(steps).toEqual([
      '3 of 10',
      '4 of 10',
      '5 of 10',
      '6 of 10',
      '7 of 10',
      '8 of 10',
      '9 of 10',
      '10 of 10',
    ]);
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
    // Held on latch 2: step 3 is live, after the replay.
    expect(progressOf(resumed.text).steps).toEqual(['2 of 4']);
    release(t, 3);
    await resumed.done;
    expect(progressOf(resumed.text).steps).toEqual(['2 of 4', '3 of 4', '4 of 4']);
    expect(probe.runs.get(t)).toBe(1);
  });

  it('after the end, within retainMs the rest and the end; after it, 410', async () => {
    await start({ resume: { retainMs: 300 } });
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
    const store = app.get(SijaxOptions).resume.store;
    let expired = false;
    await until(
      () => {
        void Promise.resolve(store.info(callId)).then((info) => (expired = info === undefined));
        return expired;
      },
      5000,
      'the log to expire',
    );
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

  it('a re-post that claims an offset past the end: 410 once ended, the end while it runs', async () => {
    await start();
    const { t, call, first } = await runningCall(2);
    // While it runs: nothing past offset 99 comes, but the stream ends with the call.
    const ahead = new ChunkReader(url, call, sse({ 'Last-Event-ID': '99' }));
    await until(() => app.get(CometStreams).size === 2, 5000, 'the second reader');
    release(t, 1);
    await Promise.all([first.done, ahead.done]);
    expect(ahead.response?.statusCode).toBe(200);
    expect(progressOf(ahead.text)).toMatchObject({ ids: [], ended: true });
    // Once it ended: the log has nothing after 99 to give.
    const past = new ChunkReader(url, call, sse({ 'Last-Event-ID': '99' }));
    await past.done;
    expect(past.response?.statusCode).toBe(410);
    expect(JSON.parse(past.text)).toEqual([
      expect.objectContaining({ type: 'error', status: 410, name: 'CallGoneError' }),
    ]);
    expect(probe.runs.get(t)).toBe(1);
  });

  it('refuses a re-post whose offset is not a decimal integer with 400, before it replays', async () => {
    await start();
    const { t, call, first } = await runningCall(2);
    for (const offset of ['', '-1', '0x1', '1e3', '1'.repeat(16)]) {
      const bad = new ChunkReader(url, call, sse({ 'Last-Event-ID': offset }));
      await bad.done;
      expect(bad.response?.statusCode).toBe(400);
    }
    release(t, 1);
    await first.done;
    expect(probe.runs.get(t)).toBe(1);
  });

  it('a second client attaches mid-call: the replay, then the live batches', async () => {
    await start();
    const t = tag();
    const callId = newCallId();
    const first = new ChunkReader(url, callBody(callId, 'resumableProgress', [t, 3]), sse());
    await first.waitFor((text) => progressOf(text).ids.length === 1);
    const attached = new ChunkReader(url, body({ sijax_attach: callId }), sse());
    await attached.waitFor((text) => progressOf(text).steps.includes('1 of 3'));
    release(t, 2);
    await Promise.all([first.done, attached.done]);
    expect(progressOf(attached.text).steps).toEqual(['1 of 3', '2 of 3', '3 of 3']);
    expect(progressOf(first.text).steps).toEqual(['1 of 3', '2 of 3', '3 of 3']);
    expect(probe.runs.get(t)).toBe(1);
  });

  it('attach, resume and cancel from another owner are refused with 403', async () => {
    await start({ csrf: { token: true } });
    const t = tag();
    const callId = newCallId();
    const mine = { Cookie: 'sijax_csrf=mine', 'X-Sijax-CSRF': 'mine' };
    const theirs = { Cookie: 'sijax_csrf=theirs', 'X-Sijax-CSRF': 'theirs' };
    const first = new ChunkReader(url, callBody(callId, 'resumableProgress', [t, 2]), sse(mine));
    await first.waitFor((text) => progressOf(text).ids.length === 1);
    for (const fields of [{ sijax_attach: callId }, { sijax_cancel: callId }] as Record<
      string,
      string
    >[]) {
      const other = new ChunkReader(url, body(fields), sse(theirs));
      await other.done;
      expect(other.response?.statusCode).toBe(403);
    }
    const resume = new ChunkReader(
      url,
      callBody(callId, 'resumableProgress', [t, 2]),
      sse({ ...theirs, 'Last-Event-ID': '1' }),
    );
    await resume.done;
    expect(resume.response?.statusCode).toBe(403);
    const own = new ChunkReader(url, body({ sijax_attach: callId }), sse(mine));
    await own.waitFor((text) => progressOf(text).ids.length === 1);
    release(t, 1);
    await own.done;
    expect(probe.signals.get(t)?.aborted).toBe(false);
  });

  it('runs the handler guards again on attach', async () => {
    await start();
    const t = tag();
    const callId = newCallId();
    const first = new ChunkReader(
      url,
      callBody(callId, 'resumableGuarded', [t]),
      sse({ 'x-test-tag': t }),
    );
    await first.waitFor((text) => text.includes('started'));
    probe.refused.add(t);
    const refused = new ChunkReader(url, body({ sijax_attach: callId }), sse({ 'x-test-tag': t }));
    await refused.done;
    expect(refused.response?.statusCode).toBe(403);
  });

  it('an explicit cancel stops the handler at once', async () => {
    await start();
    const t = tag();
    const callId = newCallId();
    const first = new ChunkReader(url, callBody(callId, 'resumableProgress', [t, 5]), sse());
    await first.waitFor((text) => progressOf(text).ids.length === 1);
    const cancel = new ChunkReader(url, body({ sijax_cancel: callId }), {
      Accept: 'application/json',
    });
    await cancel.done;
    expect(cancel.response?.statusCode).toBe(200);
    expect(probe.signals.get(t)?.aborted).toBe(true);
    await first.done;
    expect(progressOf(first.text).ended).toBe(true);
  });

  it('cancels a call whose last reader left once lingerMs passed', async () => {
    await start({ resume: { lingerMs: 100 } });
    const t = tag();
    const callId = newCallId();
    const first = new ChunkReader(url, callBody(callId, 'resumableProgress', [t, 5]), sse());
    first.done.catch(() => undefined);
    await first.waitFor((text) => progressOf(text).ids.length === 1);
    const leftAt = Date.now();
    first.abort();
    await until(() => probe.signals.get(t)?.aborted === true, 5000, 'the linger to end');
    expect(Date.now() - leftAt).toBeGreaterThanOrEqual(90);
  });

  it('replays a long log to a client that does not read no faster than it takes it', async () => {
    await start();
    const t = tag();
    const callId = newCallId();
    // 10,000 batches of 4 KB: 40 MB, four times what the sockets' buffers on loopback take.
    const flood = callBody(callId, 'resumableFlood', [t, 10_000, 4_000]);
    await new ChunkReader(url, flood, sse()).done;
    // The pages the replay reads from the store (what it holds at once), and the entries the
    // store hands over (what it took from the log for this client).
    const store = app.get(SijaxOptions).resume.store;
    const read = store.read.bind(store);
    const pages: (number | undefined)[] = [];
    store.read = (id: string, after: number, limit?: number) => {
      pages.push(limit);
      return read(id, after, limit);
    };
    const follow = store.follow.bind(store);
    let handed = 0;
    store.follow = (id, after, onEntry, signal) =>
      follow(id, after, (entry) => (handed++, onEntry(entry)), signal);
    const responses: ServerResponse[] = [];
    const server = app.getHttpServer() as Server;
    server.on('request', (_req: IncomingMessage, res: ServerResponse) => responses.push(res));
    const req = request(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...sse() },
    });
    const response = new Promise<IncomingMessage>((resolve) => req.on('response', resolve));
    req.end(body({ sijax_attach: callId }));
    const client = await response;
    client.pause();
    // What the server holds for this client beyond what the kernel took: a socket's worth.
    const buffered = () => {
      const res = responses[0];
      return res ? res.writableLength + (res.socket?.writableLength ?? 0) : 0;
    };
    await steady(buffered, 50);
    expect(buffered()).toBeLessThan(256 * 1024);
    // Taken from the log while the client reads nothing: what the kernel's buffers took.
    expect(handed).toBeGreaterThan(0);
    expect(handed).toBeLessThan(10_000 / 2);
    let text = '';
    client.setEncoding('utf8');
    client.on('data', (chunk: string) => (text += chunk));
    client.resume();
    await new Promise((resolve) => client.on('end', resolve));
    const { ids, ended } = progressOf(text);
    expect(ids).toEqual(Array.from({ length: 10_000 }, (_, i) => i + 1));
    expect(ended).toBe(true);
    expect(handed).toBe(10_001);
    // Never the whole log at once.
    expect(pages.every((limit) => limit !== undefined && limit <= 256)).toBe(true);
  }, 30_000);

  it('holds a bounded backlog for a live reader that does not read, whatever the store', async () => {
    await start();
    const t = tag();
    const callId = newCallId();
    const responses: ServerResponse[] = [];
    const server = app.getHttpServer() as Server;
    server.on('request', (_req: IncomingMessage, res: ServerResponse) => responses.push(res));
    // 10,000 batches of 4 KB, yielded as fast as they are resumed, to a client that reads nothing.
    const flood = new ChunkReader(
      url,
      callBody(callId, 'resumableFlood', [t, 10_000, 4_000]),
      sse(),
    );
    flood.pause();
    flood.done.catch(() => undefined);
    // A response's writableLength counts its socket's too.
    const buffered = () => responses[0]?.writableLength ?? 0;
    // The handler waits on the client's socket: it has not run ahead by the whole log, and
    // beyond what the kernel took, the server holds two appends' batches at most (the one
    // delivered, and the one the store answered while the socket was full: 2 MB), not 40 MB.
    expect(await steady(() => probe.steps.get(t) ?? 0)).toBeLessThan(10_000 / 2);
    await steady(buffered, 50);
    expect(buffered()).toBeLessThan(3 * 1024 * 1024);
    flood.resume();
    await flood.done;
    expect(progressOf(flood.text).ids).toHaveLength(10_000);
  }, 30_000);

  it('pauses a handler with no reader once maxBatches wait, and lets it go on for a reader', async () => {
    await start({ resume: { maxBatches: 5 } });
    const t = tag();
    const callId = newCallId();
    const first = new ChunkReader(url, callBody(callId, 'resumableProgress', [t, 50]), sse());
    first.done.catch(() => undefined);
    await first.waitFor((text) => progressOf(text).ids.length === 1);
    first.abort();
    await until(() => app.get(CometStreams).size === 0, 5000, 'the reader to go');
    release(t, 49);
    // Batch 1 was read; 2..6 wait in the log, and the handler waits for a reader.
    expect(await steady(() => probe.steps.get(t) ?? 0)).toBe(6);
    expect(probe.finallies.get(t)).toBeUndefined();
    const resumed = new ChunkReader(
      url,
      callBody(callId, 'resumableProgress', [t, 50]),
      sse({ 'Last-Event-ID': '1' }),
    );
    await resumed.done;
    const { ids, ended } = progressOf(resumed.text);
    expect(ids).toEqual(Array.from({ length: 50 }, (_, i) => i + 2));
    expect(ended).toBe(true);
    expect(probe.runs.get(t)).toBe(1);
  });

  it('a reader that claimed an offset past the log does not lift the pause when it leaves', async () => {
    await start({ resume: { maxBatches: 5 } });
    const t = tag();
    const callId = newCallId();
    const call = callBody(callId, 'resumableProgress', [t, 50]);
    const first = new ChunkReader(url, call, sse());
    first.done.catch(() => undefined);
    await first.waitFor((text) => progressOf(text).ids.length === 1);
    first.abort();
    await until(() => app.get(CometStreams).size === 0, 5000, 'the reader to go');
    const ahead = new ChunkReader(url, call, sse({ 'Last-Event-ID': '1000' }));
    ahead.done.catch(() => undefined);
    await until(() => app.get(CometStreams).size === 1, 5000, 'the second reader');
    ahead.abort();
    await until(() => app.get(CometStreams).size === 0, 5000, 'the second reader to go');
    release(t, 49);
    // As if it had not come: 2..6 wait in the log (it read nothing of them).
    expect(await steady(() => probe.steps.get(t) ?? 0)).toBe(6);
  });
});
