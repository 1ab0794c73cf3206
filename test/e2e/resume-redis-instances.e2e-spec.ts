import type { INestApplication } from '@nestjs/common';
import type { SijaxModuleOptions } from '../../lib';
import { RedisCallStore, type RedisClient } from '../../lib/redis';
import { CometStreams } from '../../lib/transports/comet-streams';
import { ResumableHandlers, ResumeProbe, TagGuard } from '../fixtures/resumable-handlers';
import { testAppModule } from '../fixtures/test-app.module';
import { baseUrl, ChunkReader } from '../utils/http-client';
import { steady, until } from '../utils/latch';
import { startRedis, startRedisCluster } from '../utils/redis-server';
import {
  callBody,
  formBody,
  newCallId,
  progressOf,
  sse,
  stepTexts,
} from '../utils/resume-exchange';
import { startApp } from '../utils/test-app';

interface Instance {
  app: INestApplication;
  probe: ResumeProbe;
  url: string;
  store: RedisCallStore;
  client: RedisClient;
}

/** Where the instances share their logs: one server, or a three-node Redis Cluster. */
const deployments = [
  { name: 'one Redis', start: startRedis },
  { name: 'a Redis Cluster', start: startRedisCluster },
];

/**
 * Two app instances in this process, each with its own RedisCallStore and connection to one
 * Redis: a call runs on A, and B serves its reconnects, attaches and cancels through Redis.
 */
describe.each(deployments)(
  'Resumable calls (RedisCallStore, two instances, $name)',
  ({ start: startRedisOf }) => {
    let redis: { client(): RedisClient; stop(): Promise<void> };
    let a: Instance;
    let b: Instance;
    let sequence = 0;

    beforeAll(async () => {
      redis = await startRedisOf();
    }, 60_000);

    afterAll(async () => {
      await redis?.stop();
    });

    async function instance(options: SijaxModuleOptions): Promise<Instance> {
      const client = redis.client();
      const store = new RedisCallStore(client);
      const app = await startApp([
        testAppModule(
          { ...options, resume: { ...options.resume, store } },
          { providers: [ResumeProbe, ResumableHandlers, TagGuard] },
        ),
      ]);
      return { app, probe: app.get(ResumeProbe), url: `${baseUrl(app)}/sijax`, store, client };
    }

    async function start(options: SijaxModuleOptions = {}): Promise<void> {
      [a, b] = [await instance(options), await instance(options)];
    }

    afterEach(async () => {
      for (const { app, probe, store, client } of [a, b]) {
        probe.openAll();
        await app.close();
        store.close();
        client.disconnect();
      }
    });

    /** A call started on A, read up to its first batch (the caller then cuts it). */
    async function firstBatchOnA(body: string): Promise<ChunkReader> {
      const first = new ChunkReader(a.url, body, sse());
      first.done.catch(() => undefined);
      await first.waitFor((text) => progressOf(text).ids.length === 1);
      return first;
    }

    const tag = () => `instances-${++sequence}`;
    const release = (t: string, upTo: number) => {
      for (let step = 1; step <= upTo; step++) a.probe.latch(t, step).open();
    };

    it('a reconnect to B gets what it missed from the log, then the live batches, each once', async () => {
      await start();
      const t = tag();
      const callId = newCallId();
      const body = callBody(callId, 'resumableProgress', [t, 10]);
      const first = new ChunkReader(a.url, body, sse());
      first.done.catch(() => undefined);
      release(t, 1);
      await first.waitFor((text) => progressOf(text).ids.length === 2);
      first.abort();
      release(t, 4);
      await until(() => a.probe.steps.get(t) === 5, 5000, 'step 5 on A');
      const resumed = new ChunkReader(b.url, body, sse({ 'Last-Event-ID': '2' }));
      await resumed.waitFor((text) => progressOf(text).steps.includes('5 of 10'));
      release(t, 9);
      await resumed.done;
      const { ids, steps, ended } = progressOf(resumed.text);
      expect(steps).toEqual(stepTexts(3, 10, 10));
      expect(ids).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11]);
      expect(ended).toBe(true);
      expect(a.probe.runs.get(t)).toBe(1);
      expect(b.probe.runs.get(t)).toBeUndefined();
    });

    it('B attaches to a call running on A, and a cancel posted to B stops it on A', async () => {
      await start();
      const t = tag();
      const callId = newCallId();
      const first = new ChunkReader(a.url, callBody(callId, 'resumableProgress', [t, 5]), sse());
      await first.waitFor((text) => progressOf(text).ids.length === 1);
      const attached = new ChunkReader(b.url, formBody({ sijax_attach: callId }), sse());
      await attached.waitFor((text) => progressOf(text).steps.includes('1 of 5'));
      const postedAt = Date.now();
      const cancel = new ChunkReader(b.url, formBody({ sijax_cancel: callId }), {
        Accept: 'application/json',
      });
      await cancel.done;
      expect(cancel.response?.statusCode).toBe(200);
      await until(() => a.probe.signals.get(t)?.aborted === true, 1000, 'the cancel on A');
      expect(Date.now() - postedAt).toBeLessThan(200);
      await Promise.all([first.done, attached.done]);
      expect(progressOf(first.text).ended).toBe(true);
      expect(progressOf(attached.text)).toMatchObject({ steps: ['1 of 5'], ended: true });
    });

    it('a follower on B keeps the call from lingering out on A while the handler says nothing', async () => {
      // Reports come every heartbeatMs / 4 = 50 ms: twenty per linger, room for a busy machine
      // (at 500 ms, CI once saw the call linger out on Node 26 while other suites ran).
      const lingerMs = 1000;
      await start({ heartbeatMs: 200, resume: { lingerMs } });
      const t = tag();
      const callId = newCallId();
      const body = callBody(callId, 'resumableProgress', [t, 2]);
      const first = await firstBatchOnA(body);
      const followed = new ChunkReader(b.url, body, sse({ 'Last-Event-ID': '1' }));
      await until(() => b.app.get(CometStreams).size === 1, 5000, 'the follower on B');
      first.abort();
      await until(() => a.app.get(CometStreams).size === 0, 5000, 'A to lose its reader');
      // Several lingers long, with nothing new: the follower's reports alone keep the call.
      await new Promise((resolve) => setTimeout(resolve, 3 * lingerMs));
      expect(a.probe.signals.get(t)?.aborted).toBe(false);
      release(t, 1);
      await followed.done;
      expect(progressOf(followed.text)).toMatchObject({ steps: ['2 of 2'], ended: true });
    });

    it('a follower on B whose client does not read keeps the call from lingering out on A', async () => {
      // Reports come every heartbeatMs / 4 = 50 ms, also while B waits on its full socket:
      // twenty per linger.
      const lingerMs = 1000;
      await start({ heartbeatMs: 200, resume: { lingerMs } });
      const t = tag();
      const callId = newCallId();
      // 150 batches of 64 KB: 9.6 MB, more than the sockets between B and its client hold
      // (some 4 MB for a client that does not read).
      const count = 150;
      const first = await firstBatchOnA(callBody(callId, 'resumableHeavy', [t, count, 64 * 1024]));
      first.abort();
      await until(() => a.app.get(CometStreams).size === 0, 5000, 'A to lose its reader');
      await until(() => a.probe.steps.get(t) === count, 5000, 'every batch in the log');
      const followed = new ChunkReader(b.url, formBody({ sijax_attach: callId }), sse());
      followed.pause();
      await until(() => b.app.get(CometStreams).size === 1, 5000, 'the follower on B');
      // Several lingers long, B's replay stuck on its client: its presence alone keeps the call.
      await new Promise((resolve) => setTimeout(resolve, 3 * lingerMs));
      expect(a.probe.signals.get(t)?.aborted).toBe(false);
      a.probe.latch(t, count).open();
      followed.resume();
      await followed.done;
      const { ids, ended } = progressOf(followed.text);
      expect(ids).toEqual(Array.from({ length: count + 1 }, (_, i) => i + 1));
      expect(ended).toBe(true);
      expect(a.probe.signals.get(t)?.aborted).toBe(false);
    }, 30_000);

    it("a follower on B that claims an offset past the log gets the call's end, no error", async () => {
      await start();
      const t = tag();
      const callId = newCallId();
      const body = callBody(callId, 'resumableProgress', [t, 2]);
      const first = await firstBatchOnA(body);
      const ahead = new ChunkReader(b.url, body, sse({ 'Last-Event-ID': '99' }));
      await until(() => b.app.get(CometStreams).size === 1, 5000, 'the follower on B');
      release(t, 1);
      await Promise.all([first.done, ahead.done]);
      expect(ahead.response?.statusCode).toBe(200);
      expect(progressOf(ahead.text)).toMatchObject({ ids: [], commands: [], ended: true });
    });

    it('a handler paused on A with no reader goes on for a follower on B', async () => {
      await start({ resume: { maxBatches: 5 } });
      const t = tag();
      const callId = newCallId();
      const body = callBody(callId, 'resumableProgress', [t, 50]);
      const first = await firstBatchOnA(body);
      first.abort();
      await until(() => a.app.get(CometStreams).size === 0, 5000, 'the reader to go');
      release(t, 49);
      expect(await steady(() => a.probe.steps.get(t) ?? 0)).toBe(6);
      const resumed = new ChunkReader(b.url, body, sse({ 'Last-Event-ID': '1' }));
      await resumed.done;
      const { ids, ended } = progressOf(resumed.text);
      expect(ids).toEqual(Array.from({ length: 50 }, (_, i) => i + 2));
      expect(ended).toBe(true);
      expect(a.probe.runs.get(t)).toBe(1);
    });
  },
);
