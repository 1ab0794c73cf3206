// The load generator's side of a stream: one POST per connection (or, for the keep-alive figure,
// one connection reused for POST after POST), read off the raw socket, with each chunk recognised
// by its terminator as the bytes arrive (no HTTP parser in the way).
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { performance } from 'node:perf_hooks';

/** Ends every Comet chunk (the padding's empty script ends in `></script>`, so is not counted). */
export const COMET_END = Buffer.from(');</script>\n');
/**
 * Ends every SSE event that carries commands, the Nest server's and the library's alike: their
 * `data:` line is a JSON array. The library's last event, `event: end\ndata: {}\n\n`, ends in
 * `}\n\n`, and its heartbeats are comments (`: \n\n`): neither is counted.
 */
export const SSE_END = Buffer.from(']\n\n');
/** What the library's fetch transport asks with: its answer is an event stream (SSE frames). */
export const SSE_ACCEPT = { Accept: 'text/event-stream' };
/** Ends a chunked HTTP body (no payload holds `\r\n`): the Nest @Sse route keeps the connection. */
const BODY_END = Buffer.from('\r\n0\r\n\r\n');

/** A call id as the bundled client makes them: 128 random bits, base64url (22 characters). */
export const newCallId = () => randomBytes(16).toString('base64url');

/** A call's body; with `callId`, its `sijax_call` (a resumable call needs one). */
export function sijaxBody(name, args, callId) {
  const call = callId === undefined ? '' : `&sijax_call=${callId}`;
  return `sijax_rq=${encodeURIComponent(name)}&sijax_args=${encodeURIComponent(JSON.stringify(args))}${call}`;
}

/**
 * The stream servers all take `sijax_rq=stream&sijax_args=[mode, n, intervalMs]` at `/sijax`; the
 * Sijax server also has `stream_sync` (a plain generator) and `stream_res` (the same handler,
 * resumable) under other names.
 */
export const streamBody = (mode, n, interval = 0, callback = 'stream', callId = undefined) =>
  sijaxBody(callback, [mode, n, interval], callId);

/**
 * What to send a stream target (`{ server, terminator, callback?, headers?, resumable? }`, as the
 * runner lists them) for one stream: the options of a `StreamExchange` or of
 * `KeepAliveConnection.exchange`. A resumable target's call gets a fresh id (`callId`).
 */
export function streamRequest(target, mode, n, interval = 0) {
  const { server, terminator, callback, headers, resumable } = target;
  const callId = resumable ? newCallId() : undefined;
  const body = streamBody(mode, n, interval, callback, callId);
  return { port: server.port, body, headers, terminator, callId };
}

function requestText(port, path, body, headers = {}, keepAlive = false) {
  const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  return (
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
    'Content-Type: application/x-www-form-urlencoded\r\n' +
    extra.join('') +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    `Connection: ${keepAlive ? 'keep-alive' : 'close'}\r\n\r\n${body}`
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

  constructor({ port, body, path = '/sijax', headers, terminator = COMET_END, onData }) {
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
        socket.write(requestText(port, path, body, headers));
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

const HEAD_END = Buffer.from('\r\n\r\n');

/**
 * One HTTP/1.1 keep-alive connection to a server, for streams one after the other (no pipelining):
 * the request says `Connection: keep-alive`, and an answer ends with its chunked body. Whether the
 * server kept the connection is recorded, not assumed: `connections` counts the connections this
 * client had to open (1 when it was kept throughout), `closing` the answers that said
 * `Connection: close`. A connection the server closed is opened again for the next stream.
 */
export class KeepAliveConnection {
  connections = 0;
  closing = 0;
  /** The exchange being read: `{ count, status, t0, tFirst, tLast, head, tail, last, resolve }`. */
  #current;
  #socket;
  #connected;

  constructor(port) {
    this.port = port;
  }

  #connect() {
    const socket = (this.#socket = net.connect(this.port, '127.0.0.1'));
    this.connections++;
    socket.setNoDelay(true);
    socket.setTimeout(60_000, () => socket.destroy(new Error('no data for 60 s')));
    socket.on('data', (data) => this.#read(data, performance.now()));
    socket.on('error', (error) => this.#current?.reject(error));
    socket.on('close', () => {
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      this.#current?.reject(new Error('the server closed the connection during an answer'));
    });
    this.#connected = new Promise((resolve) => socket.once('connect', resolve));
    return this.#connected;
  }

  /** One stream on this connection; resolves with `{ status, count, t0, tFirst, tLast }`. */
  async exchange({ body, path = '/sijax', headers, terminator = COMET_END }) {
    if (this.#current) throw new Error('one exchange at a time');
    await (this.#socket ? this.#connected : this.#connect());
    return new Promise((resolve, reject) => {
      const done = (settle) => (value) => {
        this.#current = undefined;
        settle(value);
      };
      this.#current = {
        count: 0,
        status: '',
        closing: false,
        t0: performance.now(),
        tFirst: 0,
        tLast: 0,
        head: Buffer.alloc(0),
        tail: Buffer.alloc(0),
        last: Buffer.alloc(0),
        terminator,
        resolve: done(resolve),
        reject: done(reject),
      };
      this.#socket.write(requestText(this.port, path, body, headers, true));
    });
  }

  #read(data, time) {
    const current = this.#current;
    if (!current) return;
    if (current.head) {
      const head = Buffer.concat([current.head, data]);
      const end = head.indexOf(HEAD_END);
      if (end < 0) return void (current.head = head);
      const text = head.toString('latin1', 0, end);
      current.status = text.slice(9, 12);
      current.closing = /^connection:\s*close\s*$/im.test(text);
      current.head = undefined;
      data = head.subarray(end + HEAD_END.length);
    }
    const { terminator } = current;
    const found = countIn(current.tail, data, terminator);
    current.tail = Buffer.from(data.subarray(Math.max(0, data.length - terminator.length + 1)));
    if (found > 0) {
      if (current.count === 0) current.tFirst = time;
      current.count += found;
      current.tLast = time;
    }
    const last = data.length >= BODY_END.length ? data : Buffer.concat([current.last, data]);
    current.last = Buffer.from(last.subarray(-BODY_END.length));
    if (current.last.equals(BODY_END)) {
      const { status, count, t0, tFirst, tLast } = current;
      if (current.closing) {
        // The server closes after this answer: the next stream needs a connection of its own.
        this.closing++;
        this.#socket.destroy();
        this.#socket = undefined;
      }
      current.resolve({ status, count, t0, tFirst, tLast });
    }
  }

  close() {
    this.#socket?.end();
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
