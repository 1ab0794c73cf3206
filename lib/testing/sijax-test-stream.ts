import type { ClientRequest, IncomingHttpHeaders, IncomingMessage } from 'http';
import type { SijaxCommand } from '../protocol/commands';
import { readScriptChunks } from '../protocol/iframe-chunk';
import { SSE_COMMANDS_EVENT, SSE_END_EVENT, sseParser } from '../protocol/sse-frame';
import { EVENT_STREAM } from '../protocol/wire-names';
import { readable, returnValueOf } from './readable-commands';

/** A stream that stopped without its end: the connection was cut. */
export class SijaxStreamCutError extends Error {
  override name = 'SijaxStreamCutError';
}

type Waiter = {
  resolve: (result: IteratorResult<SijaxCommand[]>) => void;
  reject: (e: unknown) => void;
};

/**
 * One Comet call of the test client: its batches as they arrive, as an async iterator (`next()`,
 * `for await`). Over either transport: SSE frames (fetch) or the script chunks of an iframe. A
 * refusal (JSON commands) arrives as one batch.
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
  private read = 0;
  private failure?: Error;
  private readonly waiters: Waiter[] = [];
  private readonly finished: Promise<void>;
  private finish!: () => void;

  constructor(
    private readonly request: ClientRequest,
    readonly callId: string,
    private readonly settled: () => Promise<void>,
  ) {
    this.finished = new Promise((resolve) => (this.finish = resolve));
    request.on('response', (res) => this.receive(res));
    request.on('error', (error) => this.stop(error));
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

  /** Closes the connection, as a closed tab would, and resolves once the server's call settled. */
  async cancel(): Promise<void> {
    if (!this.ended && !this.failure) {
      this.request.destroy();
      this.stop(new SijaxStreamCutError('The call was cancelled'));
    }
    await this.settled();
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

  private receive(res: IncomingMessage): void {
    this.status = res.statusCode;
    this.headers = res.headers;
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
      for (const chunk of chunks) this.add(chunk.commands, chunk.offset);
    });
    res.on('end', () => {
      if (type.startsWith('application/json')) this.add(JSON.parse(text) as SijaxCommand[]);
      // An iframe document has no end frame: its body's end is the end.
      if (!type.startsWith(EVENT_STREAM)) this.ended = true;
      if (this.ended) this.stop();
      else this.stop(new SijaxStreamCutError('The stream stopped before its end frame'));
    });
    res.on('error', (error) => this.stop(error));
  }

  private add(commands: SijaxCommand[], offset?: number): void {
    this.batches.push(readable(commands));
    this.offsets.push(offset);
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve({ done: false, value: this.batches[this.read++] });
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
