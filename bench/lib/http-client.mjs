// The load generator's side of a stream: one POST per connection, read off the raw socket, with
// each chunk recognised by its terminator as the bytes arrive (no HTTP parser in the way).
import net from 'node:net';
import { performance } from 'node:perf_hooks';

/** Ends every Comet chunk (the padding's empty script ends in `></script>`, so is not counted). */
export const COMET_END = Buffer.from(');</script>\n');
/** Ends every SSE event of the Nest server: its `data:` line is a JSON array. */
export const SSE_END = Buffer.from(']\n\n');
/** Ends a chunked HTTP body (no payload holds `\r\n`): the Nest @Sse route keeps the connection. */
const BODY_END = Buffer.from('\r\n0\r\n\r\n');

export function sijaxBody(name, args) {
  return `sijax_rq=${encodeURIComponent(name)}&sijax_args=${encodeURIComponent(JSON.stringify(args))}`;
}

/** The stream servers all take `sijax_rq=stream&sijax_args=[mode, n, intervalMs]` at `/sijax`. */
export const streamBody = (mode, n, interval = 0) => sijaxBody('stream', [mode, n, interval]);

function requestText(port, path, body) {
  return (
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
    'Content-Type: application/x-www-form-urlencoded\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}

/** Occurrences of `needle` in `data`, plus those spanning from `tail` (the previous bytes) into it. */
function countIn(tail, data, needle) {
  let count = 0;
  if (tail.length > 0) {
    const seam = Buffer.concat([tail, data.subarray(0, needle.length - 1)]);
    for (let at = seam.indexOf(needle); at >= 0; at = seam.indexOf(needle, at + 1)) count++;
  }
  for (let at = data.indexOf(needle); at >= 0; at = data.indexOf(needle, at + needle.length)) {
    count++;
  }
  return count;
}

/**
 * One streamed exchange. `opened` resolves at the first chunk, `done` once the body ended (the
 * connection is then closed if the server did not), both with the exchange. Times are `performance.now()` of this process: `t0` when
 * the request was written, `tFirst`/`tLast` when the first/last chunk arrived. `onData(buffer,
 * time)` sees every read.
 */
export class StreamExchange {
  count = 0;
  bytes = 0;
  status = '';
  t0 = 0;
  tFirst = 0;
  tLast = 0;

  constructor({ port, body, path = '/sijax', terminator = COMET_END, onData }) {
    let tail = Buffer.alloc(0);
    let last = Buffer.alloc(0);
    let markOpened;
    this.opened = new Promise((resolve) => (markOpened = resolve));
    this.done = new Promise((resolve, reject) => {
      const socket = (this.socket = net.connect(port, '127.0.0.1'));
      socket.setNoDelay(true);
      // Nothing in the bench leaves a stream silent this long: a hung server fails the run.
      socket.setTimeout(60_000, () => socket.destroy(new Error('no data for 60 s')));
      socket.on('connect', () => {
        this.t0 = performance.now();
        socket.write(requestText(port, path, body));
      });
      socket.on('data', (data) => {
        const time = performance.now();
        if (this.bytes === 0) this.status = data.toString('latin1', 9, 12);
        this.bytes += data.length;
        const found = countIn(tail, data, terminator);
        tail = Buffer.from(data.subarray(Math.max(0, data.length - terminator.length + 1)));
        if (found > 0) {
          if (this.count === 0) {
            this.tFirst = time;
            markOpened(this);
          }
          this.count += found;
          this.tLast = time;
        }
        onData?.(data, time);
        last = data.length >= BODY_END.length ? data : Buffer.concat([last, data]);
        if (last.subarray(-BODY_END.length).equals(BODY_END)) {
          markOpened(this);
          resolve(this);
          socket.end();
        }
      });
      socket.on('error', reject);
      socket.on('close', () => {
        markOpened(this);
        resolve(this);
      });
    });
    this.done.catch(() => markOpened(this));
  }

  check(expected) {
    if (this.status !== '200') throw new Error(`HTTP status ${this.status || 'none'}`);
    if (expected !== undefined && this.count !== expected) {
      throw new Error(`expected ${expected} chunks, got ${this.count}`);
    }
    return this;
  }
}

/** Opens `count` exchanges, at most `parallel` connecting at a time; resolves once all opened. */
export async function openMany(count, parallel, open) {
  const exchanges = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const exchange = open(next++);
      exchanges.push(exchange);
      await exchange.opened;
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
  return exchanges;
}
