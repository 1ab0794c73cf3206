import { once } from 'events';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'fs';
import { request, type IncomingMessage } from 'http';
import { tmpdir } from 'os';
import { join } from 'path';
import { stopChild, type Child } from '../deploy/child-processes';
import { startChildApp } from '../utils/child-app';
import { parseChunks } from '../utils/http-client';
import { until } from '../utils/latch';
import { PLATFORM } from '../utils/test-app';

const MiB = 1024 * 1024;
const CHUNK = 64 * 1024;
const SIZE = 200 * MiB;
/** What the server may keep while a 200 MB upload streams through it. */
const BOUND = 32 * MiB;
const BOUNDARY = 'sijaxMemoryBoundary';
const LIBRARY_APP = join(__dirname, '..', 'fixtures', 'upload-memory-app.js');
const RAW_NODE_APP = join(__dirname, '..', 'fixtures', 'raw-upload-app.js');
/**
 * A young generation of 1 MiB: V8 then frees dead socket buffers within a MiB or so of traffic,
 * and the RSS shows what the server holds rather than when V8 chose to collect. By default, from
 * Node 24 on, some 40 MiB of dead 64 KiB buffers pile up between scavenges, raw Node alike.
 */
const PROMPT_GC = ['--max-semi-space-size=1'];

/**
 * A multipart body with one file of `size` bytes, made as it is sent: its framing, then the same
 * 64 KiB chunk again and again. Never built in memory.
 */
function* multipartBody(size: number): Generator<Buffer> {
  const head =
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="sijax_rq"\r\n\r\nhuge_upload\r\n` +
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="sijax_args"\r\n\r\n["huge"]\r\n` +
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="huge.bin"\r\n` +
    'Content-Type: application/octet-stream\r\n\r\n';
  yield Buffer.from(head);
  const chunk = Buffer.alloc(CHUNK, 'x');
  for (let sent = 0; sent < size; sent += CHUNK) {
    yield sent + CHUNK <= size ? chunk : chunk.subarray(0, size - sent);
  }
  yield Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
}

/** Bytes of a multipart body of `size` bytes of file. */
const bodyLength = (size: number) =>
  [...multipartBody(0)].reduce((total, part) => total + part.length, 0) + size;

/** A process's resident memory (VmRSS) and its peak since the last reset (VmHWM), in bytes. */
function residentMemory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kB = (field: string) => {
    const start = status.indexOf(`${field}:`);
    if (start < 0) throw new Error(`/proc/${pid}/status has no ${field}`);
    return parseInt(status.slice(start + field.length + 1), 10) * 1024;
  };
  return { rss: kB('VmRSS'), peak: kB('VmHWM') };
}

/** Streams a `size` byte upload with backpressure (one reused chunk); the answer's text. */
async function upload(port: number, size: number): Promise<string> {
  const req = request(`http://127.0.0.1:${port}/sijax?sijax_rq=huge_upload&sijax_call=mem1`, {
    method: 'POST',
    headers: {
      'Content-Type': `multipart/form-data; boundary=${BOUNDARY}`,
      Accept: 'text/event-stream',
    },
  });
  const answer = once(req, 'response');
  answer.catch(() => undefined);
  for (const chunk of multipartBody(size)) {
    if (!req.write(chunk)) await once(req, 'drain');
  }
  req.end();
  const [res] = (await answer) as [IncomingMessage];
  res.setEncoding('utf8');
  let text = '';
  for await (const part of res) text += part as string;
  return text;
}

/**
 * Each server runs in a process of its own, so that what is measured is its memory alone, not
 * the test runner's. Warmed up first (code compiled, pools made), its peak is reset
 * (`/proc/<pid>/clear_refs`, Linux) and read back after the 200 MB upload: the kernel's high-water
 * mark, so a server that buffered the body and let it go shows, however briefly it held it.
 */
describe(`An upload's memory on ${PLATFORM}`, () => {
  let spool: string;
  let child: Child | undefined;

  beforeAll(() => {
    spool = mkdtempSync(join(tmpdir(), 'sijax-upload-memory-'));
  });

  afterEach(() => stopChild(child, 'SIGKILL'));
  afterAll(() => rmSync(spool, { recursive: true, force: true }));

  /** How much a 200 MB upload grows the app's RSS at its peak, and the app's answer. */
  async function measure(app: string, execArgv: string[] = []) {
    const started = await startChildApp(
      app,
      { SIJAX_PLATFORM: PLATFORM, SIJAX_UPLOAD_DIR: spool },
      execArgv,
    );
    child = started.child;
    const pid = child.process.pid!;
    for (let i = 0; i < 2; i++) await upload(started.port, 8 * MiB);
    writeFileSync(`/proc/${pid}/clear_refs`, '5'); // the peak starts again from here
    const before = residentMemory(pid).rss;
    const text = await upload(started.port, SIZE);
    const growth = residentMemory(pid).peak - before;
    // Removed once the call has ended, which is just after its answer.
    await until(() => readdirSync(spool).length === 0, 5000, 'the spooled files to go');
    await stopChild(child);
    return { text, growth, stderr: child.stderr() };
  }

  const MiBs = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;

  it('grows the RSS by at most 32 MB for a 200 MB upload, the file read back as a stream', async () => {
    const { text, growth, stderr } = await measure(LIBRARY_APP, PROMPT_GC);
    console.log(`${PLATFORM}, ${process.version}: RSS +${MiBs(growth)} at peak`);
    expect(parseChunks(text).flat()).toEqual([
      { type: 'html', selector: '#status', html: `read ${SIZE} bytes`, setType: 'replace' },
      { type: 'return', value: SIZE },
    ]);
    expect(stderr).toBe('');
    expect(growth).toBeLessThanOrEqual(BOUND);
  }, 120_000);

  it('adds at most 32 MB over raw Node spooling the same upload, with V8’s default collector', async () => {
    // When V8 collects varies by some 15 MiB from one run to the next (on Node 26, up to 40 MiB):
    // the lowest of three runs of each, in turn, is compared. A server that buffered the body
    // would add some 200 MiB.
    const library: { text: string; growth: number }[] = [];
    const raw: { text: string; growth: number }[] = [];
    for (let round = 0; round < 3; round++) {
      library.push(await measure(LIBRARY_APP));
      raw.push(await measure(RAW_NODE_APP));
    }
    const lowest = (runs: { growth: number }[]) => Math.min(...runs.map((run) => run.growth));
    console.log(
      `${PLATFORM}, ${process.version}, default GC: RSS +${MiBs(lowest(library))} at peak, ` +
        `raw Node +${MiBs(lowest(raw))} (lowest of three runs each)`,
    );
    for (const run of library) {
      expect(parseChunks(run.text).flat()).toContainEqual({ type: 'return', value: SIZE });
    }
    for (const run of raw) expect(run.text).toBe(`read ${bodyLength(SIZE)} bytes`);
    expect(lowest(library) - lowest(raw)).toBeLessThanOrEqual(BOUND);
  }, 180_000);
});
