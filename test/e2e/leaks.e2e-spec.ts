import type { INestApplication } from '@nestjs/common';
import { request, type Server } from 'http';
import { CometStreams } from '../../lib/transports/comet-streams';
import { LeakHandlers, LifecycleProbe, lifecycleModule } from '../fixtures/lifecycle-handlers';
import { baseUrl, sijaxBody } from '../utils/http-client';
import { collectGarbage, nextTurn } from '../utils/gc';
import { startApp } from '../utils/test-app';

const STREAMS = 2000;
const WARM_UP = 200;
const CONCURRENCY = 100;
const HEAP_MARGIN_MB = 5;
const TIMER_SLACK = 5;

/** Timers keeping the process alive (per-call limits are such timers). */
const activeTimeouts = () =>
  process.getActiveResourcesInfo().filter((type) => type === 'Timeout').length;

const connections = (server: Server) =>
  new Promise<number>((resolve, reject) =>
    server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
  );

/**
 * One Comet call over its own connection (no keep-alive agent): as soon as the first chunk
 * arrives, the client closes the connection, as a closed tab does.
 */
function openAndAbort(url: string, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let gotChunk = false;
    const req = request(url, {
      method: 'POST',
      agent: false,
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        'Content-Length': Buffer.byteLength(body),
      },
    });
    req.on('response', (res) => {
      if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
      res.on('error', () => undefined); // the abort below fails the response on purpose
      res.once('data', () => {
        gotChunk = true;
        req.destroy();
      });
    });
    req.on('error', (error) => {
      if (!gotChunk) reject(error);
    });
    req.on('close', () =>
      gotChunk ? resolve() : reject(new Error('connection closed before the first chunk')),
    );
    req.end(body);
  });
}

describe('No leaks over many Comet streams closed by the browser', () => {
  let app: INestApplication;
  let probe: LifecycleProbe;
  let streams: CometStreams;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    // A per-call limit arms a (ref'd) timer per call: one left behind shows in the timer count.
    app = await startApp([lifecycleModule({ timeoutMs: 60_000 }, [LeakHandlers])]);
    probe = app.get(LifecycleProbe);
    streams = app.get(CometStreams);
    server = app.getHttpServer();
    url = `${baseUrl(app)}/sijax`;
  });

  afterAll(() => app.close());

  async function openStreams(count: number): Promise<void> {
    const body = sijaxBody('leak_hold');
    for (let done = 0; done < count; done += CONCURRENCY) {
      const batch = Math.min(CONCURRENCY, count - done);
      await Promise.all(Array.from({ length: batch }, () => openAndAbort(url, body)));
    }
  }

  /** Every handler started has run its `finally`, and no stream or connection is left open. */
  async function settled(total: number, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const state = {
        started: probe.leakStarted,
        finallies: probe.leakFinallies,
        openStreams: streams.size,
        connections: await connections(server),
      };
      const expected = { started: total, finallies: total, openStreams: 0, connections: 0 };
      if (Date.now() > deadline) expect(state).toEqual(expected);
      if (JSON.stringify(state) === JSON.stringify(expected)) return;
      await nextTurn();
    }
  }

  it(`${STREAMS} streams leave no running handler, open stream, timer or connection, and heap growth < ${HEAP_MARGIN_MB} MB after GC`, async () => {
    await openStreams(WARM_UP);
    await settled(WARM_UP);
    await collectGarbage();
    const timersBefore = activeTimeouts();
    const heapBefore = process.memoryUsage().heapUsed;

    const startedAt = Date.now();
    await openStreams(STREAMS);
    await settled(WARM_UP + STREAMS);
    const elapsed = Date.now() - startedAt;

    await collectGarbage();
    const growth = process.memoryUsage().heapUsed - heapBefore;
    // A per-call timer left behind would add one per stream (2,000); the slack is for the odd
    // unrelated timer of the test process (jest, the platform) armed or expired meanwhile.
    expect(activeTimeouts()).toBeLessThanOrEqual(timersBefore + TIMER_SLACK);
    expect(growth).toBeLessThan(HEAP_MARGIN_MB * 1024 * 1024);
    // Reported so a slow or leaky run shows its numbers.
    console.info(
      `${STREAMS} streams in ${elapsed} ms; heap growth ${(growth / 1024 / 1024).toFixed(2)} MB`,
    );
  }, 60_000);
});
