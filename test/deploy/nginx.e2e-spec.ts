import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildClient, CLIENT_BUNDLE } from '../utils/browser';
import { sijaxBody } from '../utils/http-client';
import { freePorts, startChild, stopChild, waitForHttp, type Child } from './child-processes';
import { assertNginx, nginxFile, startNginx } from './nginx-server';
import {
  chunkTimeline,
  commands,
  progressValues,
  timedGet,
  timedPost,
  timedPostHttp2,
  type TimedExchange,
} from './timed-exchange';

const ROOT = join(__dirname, '..', '..');
/** The sample's step time (SAMPLE_STEP_MS) and the steps of each progress call. */
const STEP_MS = 200;
const STEPS = 5;

/**
 * Two instances of the built sample app behind the real nginx, configured by
 * deploy/nginx/nginx.conf itself: Comet chunks must cross the proxy one by one, calls must spread
 * over both instances, and a stopped instance must cost nothing but its own open streams.
 */
describe('two sample instances behind nginx (deploy/nginx/nginx.conf)', () => {
  let work: string | undefined;
  let nginx: Child | undefined;
  const apps = new Map<number, Child>();
  let ports: number[];
  let base: string;
  let http2Base: string;
  /** The CSRF token the app issued with the client script, when it runs in token mode. */
  let token: string | undefined;

  beforeAll(async () => {
    assertNginx();
    work = mkdtempSync(join(tmpdir(), 'sijax-nginx-'));
    const main = buildSample(join(work, 'build'));
    const [portA, portB, listenPort, http2Port] = await freePorts(4);
    ports = [portA, portB];
    base = `http://127.0.0.1:${listenPort}`;
    http2Base = `http://127.0.0.1:${http2Port}`;

    for (const port of ports) {
      const app = startChild(`sample on ${port}`, process.execPath, [main], {
        cwd: ROOT,
        env: {
          ...process.env,
          PORT: String(port),
          SAMPLE_STEP_MS: String(STEP_MS),
          // The build lives in a temp directory: resolve packages from the project's.
          NODE_PATH: join(ROOT, 'node_modules'),
          NO_COLOR: '1',
        },
      });
      apps.set(port, app);
    }
    await Promise.all(
      ports.map((port) => waitForHttp(appUrl(port, '/sijax/sijax.js'), apps.get(port)!)),
    );

    nginx = await startNginx(
      {
        prefix: join(work, 'nginx'),
        listenPort,
        upstreamPorts: [portA, portB],
        extraServerLines: testOnlyServerLines(http2Port),
        locationCopies: [
          // The app is asked for an uncompressed response, so that nginx's own gzip compresses.
          { path: '/nginx-gzip/', directives: ['proxy_set_header Accept-Encoding "";'] },
        ],
      },
      `${base}/sijax/sijax.js`,
    );

    // A page loads the client through the proxy from one instance; in token mode (the sample's)
    // that sets the double-submit cookie, which the page then sends with calls to any instance.
    const client = await timedGet(`${base}/sijax/sijax.js`);
    const cookie = String(client.headers['set-cookie'] ?? '');
    token = /sijax_csrf=([^;]+)/.exec(cookie)?.[1];
  }, 90_000);

  afterAll(async () => {
    // SIGTERM is nginx's fast shutdown: it does not wait for open connections.
    await stopChild(nginx, 'SIGTERM');
    await Promise.all([...apps.values()].map((app) => stopChild(app, 'SIGTERM')));
    if (work) rmSync(work, { recursive: true, force: true });
  }, 30_000);

  function appUrl(port: number, path: string): string {
    return `http://127.0.0.1:${port}${path}`;
  }

  function readLog(name: string): string {
    return nginxFile(join(work ?? '', 'nginx'), name);
  }

  /** The instance that finally answered: the last of `$upstream_addr` (nginx lists retries). */
  function servedBy(exchange: Pick<TimedExchange, 'headers'>): string {
    const tried = exchange.headers['x-upstream'];
    return typeof tried === 'string' ? (tried.split(', ').pop() ?? '') : '';
  }

  /** What the bundled client sends with a regular call: the cookie and the X-Sijax-CSRF header. */
  function callHeaders(extra: Record<string, string> = {}): Record<string, string> {
    return token ? { Cookie: `sijax_csrf=${token}`, 'X-Sijax-CSRF': token, ...extra } : extra;
  }

  /** A regular call's body. */
  const hello = (name: string) => sijaxBody('say_hello', [name]);

  /** A Comet call as the client's iframe form posts it: the token travels as a form field. */
  const comet = (steps = STEPS) => sijaxBody('run', [steps], token ? { sijax_csrf: token } : {});
  const cometHeaders = (extra: Record<string, string> = {}) =>
    token ? { Cookie: `sijax_csrf=${token}`, ...extra } : extra;

  /** The whole progress call arrived, step by step, and not in one piece at the end. */
  function expectStreamedStepByStep(exchange: TimedExchange): void {
    expect(exchange.status).toBe(200);
    expect(progressValues(exchange.text)).toEqual(
      Array.from({ length: STEPS }, (_, i) => `${i + 1} of ${STEPS}`),
    );
    expect(commands(exchange.text).at(-1)).toMatchObject({ selector: '#status', html: 'Done' });
    const { firstProgressAt, separateChunkEvents } = chunkTimeline(exchange, STEPS);
    // Buffered to the end, the first step would come with the last; streamed, (STEPS - 1) steps
    // of STEP_MS each separate them.
    expect(exchange.endedAt - firstProgressAt).toBeGreaterThanOrEqual((STEPS - 1) * STEP_MS * 0.5);
    expect(separateChunkEvents).toBeGreaterThanOrEqual(STEPS);
  }

  it('passes a Comet call through one chunk at a time (buffering on, X-Accel-Buffering: no)', async () => {
    const exchange = await timedPost(`${base}/sijax`, comet(), { headers: cometHeaders() });

    expectStreamedStepByStep(exchange);
    expect(exchange.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(exchange.headers['cache-control']).toBe('no-store');
    // nginx acts on X-Accel-* headers and does not pass them on.
    expect(exchange.headers['x-accel-buffering']).toBeUndefined();
  });

  it('passes a fetch-transport stream through one SSE frame at a time', async () => {
    const exchange = await timedPost(`${base}/sijax`, sijaxBody('run', [STEPS]), {
      headers: callHeaders({ Accept: 'text/event-stream' }),
    });

    expectStreamedStepByStep(exchange);
    expect(exchange.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(exchange.text.endsWith('event: end\ndata: {}\n\n')).toBe(true);
    expect(exchange.headers['x-accel-buffering']).toBeUndefined();
  });

  it('passes a compressed stream on chunk by chunk (the app or nginx compresses)', async () => {
    // The example forwards Accept-Encoding: an app with the compression middleware (the sample)
    // compresses, flushing per chunk, and nginx passes that on; an app without it gets its
    // response compressed by nginx. Either way the browser gets gzip, one chunk at a time.
    const exchange = await timedPost(`${base}/sijax`, comet(), {
      headers: cometHeaders({ 'Accept-Encoding': 'gzip' }),
    });

    expect(exchange.headers['content-encoding']).toBe('gzip');
    expectStreamedStepByStep(exchange);
  });

  it("keeps chunks apart when nginx's own gzip compresses the stream", async () => {
    // A copy of the example's location that asks the app for an uncompressed response.
    const exchange = await timedPost(`${base}/nginx-gzip/sijax`, comet(), {
      headers: cometHeaders({ 'Accept-Encoding': 'gzip' }),
    });

    expect(exchange.headers['content-encoding']).toBe('gzip');
    expectStreamedStepByStep(exchange);
  });

  it('control: with X-Accel-Buffering ignored, nginx gzip holds the whole stream to the end', async () => {
    // A location that ignores the library's header, so that nginx buffers the response: what the
    // tests above would see if the header were lost. It shows that they can tell.
    const exchange = await timedPost(`${base}/control-buffered/sijax`, comet(), {
      headers: cometHeaders({ 'Accept-Encoding': 'gzip' }),
    });

    expect(exchange.status).toBe(200);
    expect(exchange.headers['content-encoding']).toBe('gzip');
    expect(progressValues(exchange.text)).toHaveLength(STEPS);
    const { firstProgressAt, separateChunkEvents } = chunkTimeline(exchange, STEPS);
    expect(exchange.endedAt - firstProgressAt).toBeLessThan(STEP_MS);
    expect(separateChunkEvents).toBeLessThan(STEPS);
  });

  it('streams over HTTP/2 to the client, with a same-origin Origin accepted', async () => {
    // Host (from :authority) reaches the app with its port, so the CSRF check sees one origin.
    const exchange = await timedPostHttp2(http2Base, '/sijax', comet(), {
      headers: { origin: http2Base, ...(token ? { cookie: `sijax_csrf=${token}` } : {}) },
    });

    expectStreamedStepByStep(exchange);
  });

  it('keeps the CSRF check meaningful: Host carries the port, a foreign Origin is refused', async () => {
    const same = await timedPost(`${base}/sijax`, hello('Ann'), {
      headers: callHeaders({ Origin: base }),
    });
    const foreign = await timedPost(`${base}/sijax`, hello('Ann'), {
      headers: callHeaders({ Origin: 'https://attacker.example' }),
    });

    expect(same.status).toBe(200);
    expect(JSON.parse(same.text)).toEqual([
      expect.objectContaining({ type: 'alert', alert: 'Hello Ann' }),
    ]);
    expect(foreign.status).toBe(403);
  });

  it('spreads calls over both instances (round robin, no sticky sessions)', async () => {
    // One CSRF token, issued by whichever instance served the client script, for every call:
    // both instances accept it, as the token is checked against the request alone.
    const served: string[] = [];
    for (let i = 0; i < 10; i++) {
      const exchange = await timedPost(`${base}/sijax`, hello(`Ann ${i}`), {
        headers: callHeaders(),
      });
      expect(exchange.status).toBe(200);
      expect(JSON.parse(exchange.text)).toEqual([
        expect.objectContaining({ type: 'alert', alert: `Hello Ann ${i}` }),
      ]);
      served.push(servedBy(exchange));
    }

    expect(new Set(served)).toEqual(new Set(ports.map((port) => `127.0.0.1:${port}`)));
  });

  it('drops the call on the app when the browser goes away, not when the app finishes', async () => {
    const controller = new AbortController();
    const call = timedPost(`${base}/sijax?probe=abandoned`, comet(20), {
      headers: cometHeaders(),
      signal: controller.signal,
      onArrival: ({ text }) => {
        if (progressValues(text).includes('1 of 20')) controller.abort();
      },
    });

    await expect(call).rejects.toThrow();
    // nginx writes the access log line when it ends the request. With proxy_ignore_client_abort
    // off it ends it, closing its connection to the app (whose library then cancels the handler),
    // as soon as the client leaves: long before the 20 steps would be over.
    const line = /"POST \/sijax\?probe=abandoned HTTP\/1\.1" .* request_time=([\d.]+)/;
    let requestTime: string | undefined;
    for (let tries = 0; tries < 50 && !requestTime; tries++) {
      requestTime = line.exec(readLog('access.log'))?.[1];
      if (!requestTime) await sleep(100);
    }
    expect(requestTime).toBeDefined();
    expect(Number(requestTime) * 1000).toBeLessThan((20 * STEP_MS) / 2);
  });

  it('ends the streams of a stopped instance with a 503 command; the other takes every later call', async () => {
    let stopping: Promise<void> | undefined;
    let stopped: number | undefined;
    const interrupted = await timedPost(`${base}/sijax`, comet(20), {
      headers: cometHeaders(),
      onArrival: ({ headers, text }) => {
        if (stopping || !progressValues(text).includes('1 of 20')) return;
        stopped = Number(servedBy({ headers }).split(':')[1]);
        stopping = stopChild(apps.get(stopped), 'SIGTERM');
      },
    });
    await stopping;

    // Graceful shutdown (enableShutdownHooks): the open stream gets an error command and a
    // proper end, through the proxy.
    expect(interrupted.status).toBe(200);
    expect(commands(interrupted.text).at(-1)).toMatchObject({ type: 'error', status: 503 });
    expect(apps.get(stopped!)?.hasExited()).toBe(true);

    // nginx finds the stopped instance refusing connections, marks it failed and uses the other.
    const survivor = `127.0.0.1:${ports.find((port) => port !== stopped)}`;
    for (let i = 0; i < 6; i++) {
      const exchange = await timedPost(`${base}/sijax`, hello(`Bo ${i}`), {
        headers: callHeaders(),
      });
      expect(exchange.status).toBe(200);
      expect(servedBy(exchange)).toBe(survivor);
    }
    const streamed = await timedPost(`${base}/sijax`, comet(), { headers: cometHeaders() });
    expect(servedBy(streamed)).toBe(survivor);
    expectStreamedStepByStep(streamed);
  });
});

/**
 * Compiles the sample (with the library) from source into `outDir`, so the test never runs a stale
 * build, and puts the client bundle where the compiled library looks for it. Returns main.js.
 */
function buildSample(outDir: string): string {
  const tsc = require.resolve('typescript/bin/tsc');
  const options = ['--outDir', outDir, '--sourceMap', 'false', '--declaration', 'false'];
  try {
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.sample.json', ...options], {
      cwd: ROOT,
      stdio: 'pipe',
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`compiling the sample failed:\n${String(stdout)}${String(stderr)}`);
  }
  buildClient();
  mkdirSync(join(outDir, 'client'));
  copyFileSync(CLIENT_BUNDLE, join(outDir, 'client', 'sijax.js'));
  return join(outDir, 'sample', 'main.js');
}

/** Added to the example's `server` block for the test only. */
function testOnlyServerLines(http2Port: number): string {
  return `
# HTTP/2 in cleartext (prior knowledge), to check streaming over HTTP/2 without certificates.
listen 127.0.0.1:${http2Port} http2;
# Which instance answered each call.
add_header X-Upstream $upstream_addr always;
# The control: buffering on and the library's header ignored, so that nginx buffers; the app is
# asked for an uncompressed response, so that nginx's gzip compresses.
location /control-buffered/ {
    proxy_pass http://nest_app/;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Accept-Encoding "";
    proxy_buffering on;
    proxy_ignore_headers X-Accel-Buffering;
}
`;
}
