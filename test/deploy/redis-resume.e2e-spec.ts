import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChunkReader } from '../utils/http-client';
import { startRedis, type TestRedis } from '../utils/redis-server';
import {
  callBody,
  formBody,
  newCallId,
  progressOf,
  sse,
  stepTexts,
} from '../utils/resume-exchange';
import { freePorts, startChild, stopChild, waitForHttp, type Child } from './child-processes';
import { assertNginx, startNginx } from './nginx-server';
import { timedPost } from './timed-exchange';
import { AppEvents } from './app-events';

const ROOT = join(__dirname, '..', '..');
const APP = join(ROOT, 'test', 'fixtures', 'redis-resume-app.js');
/** Short, so that a dead instance is told within a test's time: three periods at most. */
const HEARTBEAT_MS = 1000;

interface Instance {
  port: number;
  child: Child;
  events: AppEvents;
}

/**
 * Two instances of a small app (test/fixtures/redis-resume-app.js, on the built library) whose
 * resumable calls live in one Redis, behind nginx configured by deploy/nginx/nginx.conf: a call
 * runs on whichever instance nginx picked, and the other serves its reconnect, attach or cancel.
 */
describe('resumable calls across two instances sharing one Redis, behind nginx', () => {
  let work: string | undefined;
  let redis: TestRedis | undefined;
  let nginx: Child | undefined;
  const instances: Instance[] = [];
  let base: string;
  let sequence = 0;

  beforeAll(async () => {
    assertNginx();
    if (!existsSync(join(ROOT, 'dist', 'lib', 'redis', 'index.js'))) {
      throw new Error('dist/lib/redis is missing: run `npm run build:lib` first');
    }
    work = mkdtempSync(join(tmpdir(), 'sijax-redis-nginx-'));
    redis = await startRedis();
    const [portA, portB, listenPort] = await freePorts(3);
    base = `http://127.0.0.1:${listenPort}`;
    for (const port of [portA, portB]) {
      const child = startChild(`app on ${port}`, process.execPath, [APP], {
        cwd: ROOT,
        env: {
          ...process.env,
          PORT: String(port),
          REDIS_PORT: String(redis.port),
          HEARTBEAT_MS: String(HEARTBEAT_MS),
          NO_COLOR: '1',
        },
      });
      instances.push({ port, child, events: new AppEvents(child) });
    }
    await Promise.all(
      instances.map(({ port, child }) => waitForHttp(`http://127.0.0.1:${port}/health`, child)),
    );

    nginx = await startNginx(
      {
        prefix: join(work, 'nginx'),
        listenPort,
        upstreamPorts: [portA, portB],
        extraServerLines:
          '# Which instance answered each call.\nadd_header X-Upstream $upstream_addr always;',
      },
      `${base}/health`,
    );
  }, 60_000);

  afterAll(async () => {
    await stopChild(nginx, 'SIGTERM');
    await Promise.all(instances.map(({ child }) => stopChild(child, 'SIGTERM')));
    await redis?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  }, 30_000);

  const tag = () => `deploy-${++sequence}`;
  const url = (instance: Instance) => `http://127.0.0.1:${instance.port}/sijax`;

  /** Starts `steps(tag, total)` through nginx: the instance that runs it, and the other. */
  async function startThroughNginx(t: string, total: number, callId: string) {
    const first = new ChunkReader(`${base}/sijax`, callBody(callId, 'steps', [t, total]), sse());
    first.done.catch(() => undefined);
    await first.waitFor((text) => progressOf(text).ids.length === 1);
    const servedBy = Number(String(first.headers['x-upstream']).split(':').pop());
    const running = instances.find((instance) => instance.port === servedBy)!;
    const other = instances.find((instance) => instance !== running)!;
    expect(running).toBeDefined();
    return { first, running, other };
  }

  const open = (instance: Instance, t: string, upTo: number) =>
    timedPost(`http://127.0.0.1:${instance.port}/gates/${t}/${upTo}`, '');

  it('a reconnect to the other instance gets the rest once: nothing lost, nothing doubled', async () => {
    const t = tag();
    const callId = newCallId();
    const { first, running, other } = await startThroughNginx(t, 10, callId);
    await open(running, t, 1);
    await first.waitFor((text) => progressOf(text).ids.length === 2);
    first.abort();
    await open(running, t, 4);
    await running.events.waitFor((event) => event.tag === t && event.step === 5);
    const resumed = new ChunkReader(
      url(other),
      callBody(callId, 'steps', [t, 10]),
      sse({ 'Last-Event-ID': '2' }),
    );
    await resumed.waitFor((text) => progressOf(text).steps.includes('5 of 10'));
    await open(running, t, 9);
    await resumed.done;
    const { ids, steps, ended } = progressOf(resumed.text);
    expect(steps).toEqual(stepTexts(3, 10, 10));
    expect(ids).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(ended).toBe(true);
    expect(running.events.count({ event: 'start', tag: t })).toBe(1);
    expect(other.events.count({ event: 'start', tag: t })).toBe(0);
  });

  it('attaches through nginx, on whichever instance: each gets the replay and the live batches', async () => {
    const t = tag();
    const callId = newCallId();
    const { first, running } = await startThroughNginx(t, 3, callId);
    const attached = Array.from(
      { length: 4 },
      () => new ChunkReader(`${base}/sijax`, formBody({ sijax_attach: callId }), sse()),
    );
    await Promise.all(
      attached.map((reader) => reader.waitFor((text) => progressOf(text).steps.length === 1)),
    );
    const served = new Set(attached.map((reader) => String(reader.headers['x-upstream'])));
    expect(served.size).toBe(2);
    await open(running, t, 2);
    await Promise.all([first.done, ...attached.map((reader) => reader.done)]);
    for (const reader of [first, ...attached]) {
      expect(progressOf(reader.text)).toMatchObject({ steps: stepTexts(1, 3, 3), ended: true });
    }
  });

  it('a cancel posted to the other instance stops the handler within 200 ms', async () => {
    const t = tag();
    const callId = newCallId();
    const { first, running, other } = await startThroughNginx(t, 5, callId);
    const aborted = running.events.waitFor((event) => event.event === 'aborted' && event.tag === t);
    const postedAt = performance.now();
    const cancel = await timedPost(url(other), formBody({ sijax_cancel: callId }), {
      headers: { Accept: 'application/json' },
    });
    expect(cancel.status).toBe(200);
    expect((await aborted).at - postedAt).toBeLessThan(200);
    await first.done;
    expect(progressOf(first.text).ended).toBe(true);
  });

  // Last: it kills an instance.
  it('kill -9 of the running instance: a follower on the other gets CallLostError within three heartbeats', async () => {
    const t = tag();
    const callId = newCallId();
    const { first, running, other } = await startThroughNginx(t, 5, callId);
    const follower = new ChunkReader(url(other), formBody({ sijax_attach: callId }), sse());
    await follower.waitFor((text) => progressOf(text).steps.includes('1 of 5'));
    const killedAt = performance.now();
    running.child.process.kill('SIGKILL');
    await follower.done;
    const lostAfter = performance.now() - killedAt;
    first.abort();
    const { commands, ended } = progressOf(follower.text);
    expect(commands.at(-1)).toMatchObject({ type: 'error', status: 410, name: 'CallLostError' });
    expect(ended).toBe(true);
    expect(lostAfter).toBeLessThan(3 * HEARTBEAT_MS);
  });
});
