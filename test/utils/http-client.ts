import { request, type IncomingHttpHeaders, type IncomingMessage } from 'http';
import type { AddressInfo } from 'net';
import type { INestApplication } from '@nestjs/common';
import { readScriptChunks } from '../../lib/protocol/iframe-chunk';
import { sseParser } from '../../lib/protocol/sse-frame';

/** Base URL of an app listening on a random port. */
export function baseUrl(app: INestApplication): string {
  const { port } = app.getHttpServer().address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

/** The call id test bodies carry, as the bundled client sends one. */
export const TEST_CALL_ID = 'c1';

/**
 * A urlencoded Sijax call body, with a call id as the bundled client sends it; `legacyBody` is
 * what the original Sijax client sends (no call id).
 */
export function sijaxBody(
  name: string,
  args: unknown[] = [],
  extra: Record<string, string> = {},
): string {
  return new URLSearchParams({
    sijax_rq: name,
    sijax_args: JSON.stringify(args),
    sijax_call: TEST_CALL_ID,
    ...extra,
  }).toString();
}

export function legacyBody(name: string, args: unknown[] = []): string {
  return new URLSearchParams({ sijax_rq: name, sijax_args: JSON.stringify(args) }).toString();
}

/**
 * A raw HTTP exchange whose body is observed chunk by chunk as it arrives on the socket, so a test
 * can tell what was sent before the handler finished.
 */
export class ChunkReader {
  readonly chunks: string[] = [];
  response?: IncomingMessage;
  ended = false;
  private readonly waiters: (() => void)[] = [];
  readonly done: Promise<void>;
  private readonly req;
  /** Not reading: the socket fills and the server's writes wait (TCP backpressure). */
  private paused = false;

  constructor(url: string, body: string, headers: Record<string, string> = {}) {
    let finish!: () => void;
    let fail!: (error: Error) => void;
    this.done = new Promise((resolve, reject) => ((finish = resolve), (fail = reject)));
    this.req = request(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    });
    this.req.on('response', (res) => {
      this.response = res;
      if (this.paused) res.pause();
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        this.chunks.push(chunk);
        this.notify();
      });
      res.on('end', () => {
        this.ended = true;
        this.notify();
        finish();
      });
      res.on('error', fail);
    });
    this.req.on('error', (error) => {
      this.notify();
      fail(error);
    });
    this.req.end(body);
  }

  get text(): string {
    return this.chunks.join('');
  }

  get headers(): IncomingHttpHeaders {
    return this.response?.headers ?? {};
  }

  /** Resolves once the body received so far satisfies `check`. */
  async waitFor(check: (text: string) => boolean, timeoutMs = 5000): Promise<string> {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.notify();
    }, timeoutMs);
    try {
      while (!check(this.text)) {
        if (this.ended || timedOut) {
          throw new Error(
            `${this.ended ? 'ended' : 'timed out'} before the condition held; got: ${this.text.slice(-300)}`,
          );
        }
        await new Promise<void>((resolve) => this.waiters.push(resolve));
      }
      return this.text;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops reading the body (from its head on, when called before it came). */
  pause(): void {
    this.paused = true;
    this.response?.pause();
  }

  resume(): void {
    this.paused = false;
    this.response?.resume();
  }

  /** Closes the connection from the client side, as a closed tab would. */
  abort(): void {
    this.req.destroy();
  }

  private notify(): void {
    this.waiters.splice(0).forEach((wake) => wake());
  }
}

/**
 * The commands of every batch in a Comet body, in order: the `processCommands(...)` chunks of an
 * iframe document, or the `commands` frames of an event stream (complete ones only).
 */
export function parseChunks(text: string): unknown[][] {
  if (text.startsWith('id:') || text.startsWith(': ')) {
    const batches: unknown[][] = [];
    sseParser((event) => {
      if (event.event === 'commands') batches.push(JSON.parse(event.data) as unknown[]);
    })(text);
    return batches;
  }
  return readScriptChunks(text).chunks.map((chunk) => chunk.commands);
}
