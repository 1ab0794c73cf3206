import type { ClientRequest, IncomingHttpHeaders, IncomingMessage } from 'http';
import type { SijaxCommand } from '../protocol/commands';
import { END_OFFSET, START_OFFSET, readScriptChunks } from '../protocol/iframe-chunk';
import { SSE_COMMANDS_EVENT, SSE_END_EVENT, sseParser } from '../protocol/sse-frame';
import { EVENT_STREAM, RESUMABLE_HEADER } from '../protocol/wire-names';
import { readable, returnValueOf } from './readable-commands';

/** A stream that stopped without its end: the connection was cut. */
export class SijaxStreamCutError extends Error {
  override name = 'SijaxStreamCutError';
}

type Waiter = {
  resolve: (result: IteratorResult<SijaxCommand[]>) => void;
  reject: (error: Error) => void;
};

/** What a test stream needs of its client: a connection from an offset on, and the server's end. */
export interface TestStreamLink {
  /** Posts the call (or its resume after `after`); the answer streams into the stream. */
  connect(after?: number): ClientRequest;
  /** Resolves once the server's call settled (its handler's `finally` ran). */
  settled(): Promise<void>;
  /** Asks the server to stop a resumable call. */
  cancel(): Promise<void>;
}

/**
 * One Comet call of the test client: its batches as they arrive, as an async iterator (`next()`,
 * `for await`). Over either transport: SSE frames (fetch) or the script chunks of an iframe. A
 * refusal (JSON commands) arrives as one batch. A resumable call can be `cut()` and
 * `reconnect()`ed: the iterator goes on, each batch once.
 */
export class SijaxTestStream implements AsyncIterableIterator<SijaxCommand[]> {
  /** Every batch received so far, in order. */
  readonly batches: SijaxCommand[][] = [];
  /** The SSE `id` (or chunk offset) of each batch, when the transport numbers them. */
  readonly offsets: (number | undefined)[] = [];
  status?: number;
  headers?: IncomingHttpHeaders;
  /** The stream ended with its end frame (SSE) or its body (iframe). */
  ended = false;
  /** The server said the call is resumable. */
  resumable = false;
  /** The last offset received (what a reconnect resumes after). */
  lastOffset = 0;
  private request: ClientRequest;
  private read = 0;
  private failure?: Error;
  private cutByTest = false;
  private readonly waiters: Waiter[] = [];
  private finished!: Promise<void>;
  private finish!: () => void;

  constructor(
    private readonly link: TestStreamLink,
    readonly callId: string,
  ) {
    this.request = this.open();
  }

  next(): Promise<IteratorResult<SijaxCommand[]>> {
    if (this.read < this.batches.length) {
      return Promise.resolve({ done: false, value: this.batches[this.read++] });
    }
    if (this.failure) return Promise.reject(this.failure);
    if (this.ended) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Leaving a `for await` early cancels the call. */
  async return(): Promise<IteratorResult<SijaxCommand[]>> {
    await this.cancel();
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /**
   * Stops the call and resolves once the server's call settled: the connection is closed, as a
   * closed tab would, and a resumable call is cancelled explicitly, as the client's `abort()`.
   */
  async cancel(): Promise<void> {
    if (this.resumable && !this.ended) await this.link.cancel();
    if (!this.ended && !this.failure) {
      this.request.destroy();
      this.stop(new SijaxStreamCutError('The call was cancelled'));
    }
    await this.link.settled();
  }

  /** Drops the connection as a network would; a resumable call runs on until `reconnect()`. */
  cut(): void {
    this.cutByTest = true;
    this.request.destroy();
  }

  /** Re-posts the call after the last offset received: the iterator goes on from there. */
  reconnect(): void {
    this.cutByTest = false;
    this.request = this.open(this.lastOffset);
  }

  /** Every batch, once the stream ended (rejects if it was cut). */
  async all(): Promise<SijaxCommand[][]> {
    await this.finished;
    if (this.failure) throw this.failure;
    return this.batches;
  }

  /** The handler's return value (its `return` command), once the stream ended. */
  async result(): Promise<unknown> {
    return returnValueOf(await this.all());
  }

  private open(after?: number): ClientRequest {
    this.finished = new Promise((resolve) => (this.finish = resolve));
    const request = this.link.connect(after);
    request.on('response', (res) => this.receive(request, res));
    request.on('error', (error) => this.lost(request, error));
    return request;
  }

  private receive(request: ClientRequest, res: IncomingMessage): void {
    this.status = res.statusCode;
    this.headers = res.headers;
    if (res.headers[RESUMABLE_HEADER.toLowerCase()] !== undefined) this.resumable = true;
    res.setEncoding('utf8');
    const type = String(res.headers['content-type'] ?? '');
    let text = '';
    const push = sseParser((event) => {
      if (event.event === SSE_END_EVENT) this.ended = true;
      else if (event.event === SSE_COMMANDS_EVENT) {
        this.add(JSON.parse(event.data) as SijaxCommand[], Number(event.id));
      }
    });
    res.on('data', (data: string) => {
      if (type.startsWith(EVENT_STREAM)) return push(data);
      text += data;
      if (!type.startsWith('text/html')) return;
      const { chunks, next } = readScriptChunks(text);
      text = text.slice(next);
      for (const chunk of chunks) this.chunk(chunk.commands, chunk.offset);
    });
    res.on('end', () => {
      if (type.startsWith('application/json')) this.add(JSON.parse(text) as SijaxCommand[]);
      // An iframe document without the end marker of a resumable call ends with its body.
      if (!type.startsWith(EVENT_STREAM) && !this.resumable) this.ended = true;
      if (this.ended) this.stop();
      else this.lost(request, new SijaxStreamCutError('The stream stopped before its end'));
    });
    res.on('error', (error) => this.lost(request, error));
  }

  /** An iframe chunk: a resumable call's markers say it is one, and where it ends. */
  private chunk(commands: SijaxCommand[], offset: number | undefined): void {
    if (offset === START_OFFSET) this.resumable = true;
    else if (offset === END_OFFSET) this.ended = true;
    else this.add(commands, offset);
  }

  private add(commands: SijaxCommand[], offset?: number): void {
    if (offset !== undefined && !Number.isNaN(offset)) {
      if (offset <= this.lastOffset) return; // a replayed batch this stream has
      this.lastOffset = offset;
    }
    this.batches.push(readable(commands));
    this.offsets.push(offset);
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve({ done: false, value: this.batches[this.read++] });
  }

  /** The connection went: a cut the test made waits for `reconnect()`; any other fails. */
  private lost(request: ClientRequest, error: Error): void {
    if (request !== this.request || this.ended) return;
    if (this.cutByTest) return;
    this.stop(
      error instanceof SijaxStreamCutError ? error : new SijaxStreamCutError(error.message),
    );
  }

  private stop(error?: Error): void {
    if (error && !this.ended) this.failure ??= error;
    else this.ended = true;
    for (const waiter of this.waiters.splice(0)) {
      if (this.failure) waiter.reject(this.failure);
      else waiter.resolve({ done: true, value: undefined });
    }
    this.finish();
  }
}
