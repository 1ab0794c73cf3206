// What every benchmark server shares: the wire format of a Comet chunk (a copy of the library's,
// so the raw Node server owes nothing to it; `bench/measure/parity.mjs` checks that the bytes
// still match), the payloads, and the control channel the runner drives over IPC.
import { randomBytes } from 'node:crypto';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { writeHeapSnapshot } from 'node:v8';

// --- Wire format: lib/protocol/iframe-chunk.ts, script-json.ts, transports/stream-writer.ts ------

const UNSAFE_TEST = /[<>&\u2028\u2029]/;
const UNSAFE = /[<>&\u2028\u2029]/g;
const ESCAPES = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};
const PADDING = '\n'.repeat(2000);

export function toScriptJson(value) {
  const json = JSON.stringify(value) ?? 'null';
  return UNSAFE_TEST.test(json) ? json.replace(UNSAFE, (char) => ESCAPES[char]) : json;
}

export function firstChunkPadding(nonce) {
  return `\n<script type='text/javascript' nonce="${nonce}"></script>\n\n${PADDING}`;
}

export function createChunkFrame(nonce) {
  return {
    open: `<script nonce="${nonce}">window.parent.Sijax.processCommands(`,
    close: `);</script>\n`,
  };
}

export function scriptChunk(frame, commands) {
  return frame.open + toScriptJson(commands) + frame.close;
}

export function createNonce() {
  return randomBytes(16).toString('base64');
}

export function cometHeaders(nonce) {
  return {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Accel-Buffering': 'no',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'SAMEORIGIN',
    'Content-Security-Policy': `default-src 'none'; script-src 'nonce-${nonce}'; frame-ancestors 'self'`,
  };
}

// --- Payloads: what `response.html('#p', payload)` queues ------------------------------------------

/** The command `SijaxResponse.html()` builds (same keys, same order). */
export const htmlCommand = (html) => ({ type: 'html', selector: '#p', html, setType: 'replace' });

/** Throughput payload: real HTML, so the `<`/`>` escaping runs as it would in an app. */
export const itemHtml = (i, n) => `<li>item ${i} of ${n}</li>`;

/** Answer of the plain (non-streaming) calls. */
export const PLAIN_HTML = '<b>Hello</b>';

/** Wall-clock milliseconds with a fraction, comparable across processes of one machine. */
export const wallClock = () => performance.timeOrigin + performance.now();

/** Latency payload: when the handler queued it. The client reads it back after `STAMP`. */
export const STAMP = '~ts~';
export const stampHtml = () => `<i>${STAMP}${wallClock()}</i>`;

/** The call arguments every stream server takes: `[mode, n, intervalMs]`. */
export function parseArgs(sijaxArgs) {
  const [mode, n = 1, interval = 0] = JSON.parse(sijaxArgs);
  return { mode, n, interval };
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// --- Control channel ---------------------------------------------------------------------------

const gates = new Map();

/**
 * Resolves when the runner opens gate `name` ('go': start the latency ticks; 'release': end the
 * idle streams). Everything waiting on a gate is released at once; later waiters wait anew.
 */
export function gate(name) {
  let entry = gates.get(name);
  if (!entry) {
    let open;
    const promise = new Promise((resolve) => (open = resolve));
    entry = { promise, open };
    gates.set(name, entry);
  }
  return entry.promise;
}

const ELD_RESOLUTION_MS = 10;
const eld = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
/** The histogram records the whole timer interval: take the resolution off. */
const delayMs = (ns) => Math.max(0, ns / 1e6 - ELD_RESOLUTION_MS);

function control(cmd, arg) {
  switch (cmd) {
    case 'mem':
      global.gc?.();
      global.gc?.();
      return process.memoryUsage();
    case 'snapshot':
      // A heap snapshot into file `arg` (`heap-per-stream.mjs`); V8 collects garbage first.
      global.gc?.();
      return writeHeapSnapshot(arg);
    case 'eld-start':
      eld.reset();
      eld.enable();
      return undefined;
    case 'eld-stop':
      eld.disable();
      return {
        p50: delayMs(eld.percentile(50)),
        p99: delayMs(eld.percentile(99)),
        max: delayMs(eld.max),
      };
    case 'open': {
      const entry = gates.get(arg);
      gates.delete(arg);
      entry?.open();
      return undefined;
    }
    case 'exit':
      // A clean exit, so that `--cpu-prof` writes its profile.
      setImmediate(() => process.exit(0));
      return undefined;
    default:
      throw new Error(`unknown control command ${cmd}`);
  }
}

/**
 * Tells the runner which port `server` (a listening `http.Server`, if any) took, then obeys it. `extra`:
 * commands of this server's own, `{ [cmd]: (arg) => result }`; a result may be a promise.
 */
export function reportReady(kind, server, extra = {}) {
  process.on('message', async ({ id, cmd, arg }) => {
    try {
      const result = Object.hasOwn(extra, cmd) ? await extra[cmd](arg) : control(cmd, arg);
      process.send({ id, result });
    } catch (error) {
      process.send({ id, error: String(error) });
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ ready: kind, port: server?.address().port, gc: typeof global.gc === 'function' });
}
