import { Logger } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'http';
import type { CallOutcome, CallSink } from '../core/call';
import { describeFailure, errorCommand } from '../errors/describe-failure';
import type { SijaxCommand } from '../protocol/commands';
import { SIJAX_DEFAULTS } from '../sijax.constants';
import { ENCODING_FAILED } from '../sijax.messages';
import { watchConnection, type ConnectionWatcher } from './connection-watch';
import type { StreamEncoder } from './stream-encoder';

/** `compression` middleware adds `flush()`; calling it sends what it holds. */
type FlushableResponse = ServerResponse & { flush?: () => void };

/** What the writer needs to know of the call it writes for. */
export interface StreamedCall {
  /** The status to send with the head; read when the first bytes go out. */
  readonly status: number;
  readonly name: string;
}

/**
 * Writes a streamed call through the platform's response, in any transport's encoding: the
 * mechanics every transport shares (coalescing, backpressure, heartbeat, close) live here once.
 */
/** The nextTick callback of every writer: one function, no closure per writer. */
function flushOnTick(writer: StreamWriter): void {
  writer.tick();
}

export class StreamWriter implements CallSink, ConnectionWatcher {
  private readonly flushable: boolean;
  private readonly unwatch: () => void;
  private started = false;
  private blocked: Promise<void> | undefined = undefined;
  /** Ends the wait for 'drain' early: a queued response whose client left never drains. */
  private unblock: (() => void) | undefined = undefined;
  private drainWatched = false;
  /** Bytes waiting for the end of the tick. */
  private pending = '';
  private scheduled = false;
  /** Nothing written since the last heartbeat tick. */
  private silent = true;
  /** Ended here, or the client left. */
  private done = false;

  /** `onGone` runs once if the client leaves before the stream has ended. */
  constructor(
    req: IncomingMessage,
    private readonly res: FlushableResponse,
    private readonly encoder: StreamEncoder,
    private readonly call: StreamedCall,
    private readonly onGone: () => void,
  ) {
    this.flushable = typeof res.flush === 'function';
    this.unwatch = watchConnection(req, res, this);
  }

  /** @internal The client left. */
  connectionGone(): void {
    this.done = true;
    this.unblock?.();
    this.onGone();
  }

  write(batch: readonly SijaxCommand[], offset: number): void {
    this.send(this.encode(batch, offset));
  }

  /** A batch from its JSON (a resumable call's log); false when the stream is closed. */
  writeJson(json: string, offset: number): boolean {
    return this.send(this.encoder.batchOfJson(json, offset));
  }

  /** Sends the head and the preamble now: a resumable stream announces itself at once. */
  open(): void {
    if (!this.started && !this.gone()) this.send('');
  }

  /** Ended here, or the client left. */
  get closed(): boolean {
    return this.gone();
  }

  /** Resolves once the socket drains (or closes) after a write it could not take at once. */
  ready(): Promise<void> | undefined {
    return this.blocked;
  }

  end(_outcome: CallOutcome): void {
    if (this.gone()) return;
    this.unwatch();
    const data = this.pending + (this.started ? '' : this.start()) + this.encoder.ending;
    this.pending = '';
    this.done = true;
    // With the last bytes: `end(data)` sends them and the body's end in one socket write.
    this.res.end(data);
  }

  /** Keeps idle streams alive through proxies. */
  heartbeat(): void {
    if (this.silent) this.send(this.encoder.heartbeat);
    this.silent = true;
  }

  /** Resolves once every byte was handed to the OS, or the connection is gone. */
  finished(): Promise<void> {
    const res = this.res;
    if (res.writableFinished || res.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      res.once('finish', resolve);
      res.once('close', resolve);
    });
  }

  /** Shutdown: a response not yet delivered closes now, even if its client stopped reading. */
  abandon(): void {
    if (!this.res.writableFinished) this.res.destroy();
  }

  /**
   * Chunks ready in the same tick leave in one write, on `nextTick`: Node's HTTP response corks
   * the socket until then anyway, so no chunk waits longer than it would, and the per-write cost
   * is paid once. A full socket-buffer's worth is written at once.
   */
  private send(data: string): boolean {
    // The client leaving or an end here sets `done`; the response's own state is read once per
    // write (`flush`), not once per batch.
    if (this.done) return false;
    this.silent = false;
    if (!this.started) data = this.start() + data;
    this.pending += data;
    if (this.pending.length >= SIJAX_DEFAULTS.coalesceLimit) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(flushOnTick, this);
    }
    return true;
  }

  /** @internal The end of the tick in which something was sent. */
  tick(): void {
    this.scheduled = false;
    this.flush();
  }

  private flush(): void {
    const data = this.pending;
    if (!data) return;
    this.pending = '';
    if (this.gone()) return;
    const accepted = this.res.write(data);
    if (this.flushable) this.res.flush!();
    if (!accepted && !this.blocked) this.blocked = this.drained();
  }

  /** Ended (here, or by an app's filter that answered already) or the client left. */
  private gone(): boolean {
    return this.done || this.res.writableEnded || this.res.destroyed;
  }

  /** Runs once, on the first write. */
  private start(): string {
    this.started = true;
    // A Nest exception filter of the app may have answered already; never write headers twice.
    if (!this.res.headersSent) {
      this.res.socket?.setNoDelay(true);
      this.res.writeHead(this.call.status, this.encoder.headers());
    }
    return this.encoder.preamble();
  }

  private encode(batch: readonly SijaxCommand[], offset: number): string {
    try {
      return this.encoder.batch(batch, offset);
    } catch (error) {
      // A value JSON cannot encode (a BigInt, a cycle) is the handler's bug: report, keep streaming.
      new Logger('Sijax').error(ENCODING_FAILED(this.call.name), (error as Error).stack);
      return this.encoder.batch([errorCommand(describeFailure(error))], offset);
    }
  }

  private drained(): Promise<void> {
    const res = this.res;
    // One 'drain' listener for the response's life, made at its first wait: `compression` hands
    // 'drain' listeners to its zlib stream, where the response's removeListener cannot reach
    // them; one a wait piled up there (and each drain called them all).
    if (!this.drainWatched) {
      this.drainWatched = true;
      res.on('drain', () => this.unblock?.());
    }
    return new Promise((resolve) => {
      const done = () => {
        res.removeListener('close', done);
        this.blocked = this.unblock = undefined;
        resolve();
      };
      this.unblock = done;
      res.once('close', done);
    });
  }
}
