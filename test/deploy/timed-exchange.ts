import { request, type IncomingHttpHeaders } from 'node:http';
import { connect, type IncomingHttpHeaders as Http2Headers } from 'node:http2';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { parseChunks } from '../utils/http-client';

/** One `data` event of a response body (decompressed), and when it came. */
export interface Arrival {
  at: number;
  text: string;
}

/** A finished exchange: its head, each piece of its body as it arrived, and when it ended. */
export interface TimedExchange {
  status: number;
  headers: IncomingHttpHeaders | Http2Headers;
  arrivals: Arrival[];
  text: string;
  endedAt: number;
}

/** What an `onArrival` callback sees: the head, and the body received so far. */
export interface ExchangeSoFar {
  headers: IncomingHttpHeaders | Http2Headers;
  text: string;
}

export interface TimedPostOptions {
  headers?: Record<string, string>;
  signal?: AbortSignal;
  onArrival?: (soFar: ExchangeSoFar) => void;
}

const FORM = 'application/x-www-form-urlencoded';

/**
 * POSTs over HTTP/1.1, on a connection of its own, and timestamps every piece of the body as it
 * arrives (after gunzip when the response is compressed, so the pieces are what a browser could
 * parse at that moment).
 */
export function timedPost(
  url: string,
  body: string,
  options: TimedPostOptions = {},
): Promise<TimedExchange> {
  return timedRequest('POST', url, body, {
    ...options,
    headers: { 'Content-Type': FORM, ...options.headers },
  });
}

/** The same for a GET. */
export function timedGet(url: string, options: TimedPostOptions = {}): Promise<TimedExchange> {
  return timedRequest('GET', url, undefined, options);
}

function timedRequest(
  method: string,
  url: string,
  body: string | undefined,
  options: TimedPostOptions,
): Promise<TimedExchange> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method,
      agent: false,
      signal: options.signal,
      headers: options.headers,
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const compressed = res.headers['content-encoding'] === 'gzip';
      const source: Readable = compressed ? res.pipe(createGunzip()) : res;
      res.on('error', reject);
      collect(source, res.headers, options, (result) =>
        resolve({ status: res.statusCode ?? 0, ...result }),
      ).catch(reject);
    });
    req.end(body);
  });
}

/** The same over HTTP/2 in cleartext (prior knowledge), as nginx's `listen … http2` speaks it. */
export function timedPostHttp2(
  origin: string,
  path: string,
  body: string,
  options: TimedPostOptions = {},
): Promise<TimedExchange> {
  return new Promise((resolve, reject) => {
    const session = connect(origin);
    const fail = (error: Error) => {
      session.destroy();
      reject(error);
    };
    session.on('error', fail);
    const stream = session.request({
      ':method': 'POST',
      ':path': path,
      'content-type': FORM,
      ...options.headers,
    });
    stream.on('error', fail);
    stream.on('response', (headers) => {
      collect(stream, headers, options, (result) => {
        session.close();
        resolve({ status: Number(headers[':status']), ...result });
      }).catch(fail);
    });
    stream.end(body);
  });
}

async function collect(
  source: Readable,
  headers: IncomingHttpHeaders | Http2Headers,
  options: TimedPostOptions,
  done: (result: Omit<TimedExchange, 'status'>) => void,
): Promise<void> {
  const arrivals: Arrival[] = [];
  let text = '';
  source.setEncoding('utf8');
  for await (const piece of source as AsyncIterable<string>) {
    arrivals.push({ at: performance.now(), text: piece });
    text += piece;
    options.onArrival?.({ headers, text });
  }
  done({ headers, arrivals, text, endedAt: performance.now() });
}

/** When the first progress chunk arrived, and how many `data` events brought new chunks. */
export interface ChunkTimeline {
  /** Arrival time of the body piece that completed the `1 of {steps}` chunk. */
  firstProgressAt: number;
  /** `data` events that completed at least one more `<script>` chunk. */
  separateChunkEvents: number;
}

export function chunkTimeline(exchange: TimedExchange, steps: number): ChunkTimeline {
  let text = '';
  let chunks = 0;
  let separateChunkEvents = 0;
  let firstProgressAt: number | undefined;
  for (const arrival of exchange.arrivals) {
    text += arrival.text;
    const now = parseChunks(text).length;
    if (now > chunks) separateChunkEvents++;
    chunks = now;
    if (firstProgressAt === undefined && progressValues(text).includes(`1 of ${steps}`)) {
      firstProgressAt = arrival.at;
    }
  }
  if (firstProgressAt === undefined) {
    throw new Error(`no "1 of ${steps}" chunk in: ${exchange.text.slice(-500)}`);
  }
  return { firstProgressAt, separateChunkEvents };
}

/** A command as sent in a chunk. */
export type Command = Record<string, unknown> & { type?: string };

/** The commands of every chunk, in order. */
export function commands(text: string): Command[] {
  return parseChunks(text).flat() as Command[];
}

/** The `#progress` texts of the sample's `run` call, in the order they were sent. */
export function progressValues(text: string): string[] {
  return commands(text)
    .filter((command) => command.type === 'html' && command.selector === '#progress')
    .map((command) => String(command.html));
}
