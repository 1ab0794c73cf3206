import { Logger } from '@nestjs/common';
import { randomBytes } from 'crypto';
import type { ServerResponse } from 'http';
import type { SijaxCommand } from '../response/sijax-command.interface';
import type { SijaxCallContext, StreamGate } from '../sijax.dispatcher';
import { describeFailure, errorCommand } from '../errors/describe-failure';
import { HANDLER_FAILED } from '../sijax.messages';
import { ResponseOutput } from './stream-output';
import { createChunkFrame, firstChunkPadding, scriptChunk, type ChunkFrame } from './script-chunk';

/** Node's default socket high-water mark: coalesced chunks never hold more than this. */
const COALESCE_LIMIT = 16 * 1024;

/**
 * Headers of an iframe document: never cached or buffered, only framed by its own origin, and
 * with its own script policy, so it works inside an app whose CSP forbids inline scripts.
 */
export function cometHeaders(nonce: string): Record<string, string> {
  return {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Accel-Buffering': 'no',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'SAMEORIGIN',
    'Content-Security-Policy': `default-src 'none'; script-src 'nonce-${nonce}'; frame-ancestors 'self'`,
  };
}

export function createNonce(): string {
  return randomBytes(16).toString('base64');
}

/** Writes a Comet call's batches as `<script>` chunks of an HTML document, as they come. */
export class IframeStreamWriter implements StreamGate {
  private readonly frame: ChunkFrame;
  private readonly nonce = createNonce();
  private readonly output: ResponseOutput;
  private started = false;
  private blocked?: Promise<void>;
  /** Chunks waiting for the end of the tick. */
  private pending = '';
  private scheduled = false;
  /** Nothing written since the last heartbeat tick. */
  private silent = true;
  /** Ended here, or the browser left. */
  private ended = false;

  /** `onClose` runs once, when the browser leaves or the stream has ended. */
  constructor(
    res: ServerResponse,
    private readonly context: SijaxCallContext,
    private readonly onClose: () => void,
  ) {
    this.frame = createChunkFrame(context.call.callId, this.nonce);
    this.output = new ResponseOutput(res);
    res.once('close', this.closed);
  }

  /** Resolves once the socket drains (or closes) after a write it could not take at once. */
  ready(): Promise<void> | undefined {
    return this.blocked;
  }

  write(batch: readonly SijaxCommand[]): void {
    this.send(this.serialize(batch));
  }

  /** Keeps idle streams alive through proxies: a newline, which the iframe document ignores. */
  heartbeat(): void {
    if (this.silent) this.send('\n');
    this.silent = true;
  }

  end(): void {
    if (this.gone()) return;
    if (!this.started) this.pending = this.start();
    this.flush();
    this.ended = true;
    this.output.end();
  }

  /** Shutdown: the connection closes now, even if its client stopped reading. */
  abandon(): void {
    this.output.emitter.destroy();
  }

  /**
   * Chunks ready in the same tick leave in one socket write, on `nextTick`: Node's HTTP
   * response corks the socket until then anyway, so no chunk waits longer than it would, and
   * the per-write cost is paid once. A full socket-buffer's worth is written at once.
   */
  private send(chunk: string): void {
    // The browser left, or the stream ended as shutdown began: nothing may be written.
    if (this.gone()) return;
    this.silent = false;
    if (!this.started) chunk = this.start() + chunk;
    this.pending += chunk;
    if (this.pending.length >= COALESCE_LIMIT) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(this.flushOnTick);
    }
  }

  private readonly flushOnTick = (): void => {
    this.scheduled = false;
    this.flush();
  };

  private flush(): void {
    const data = this.pending;
    if (!data || this.gone()) return;
    this.pending = '';
    if (!this.output.write(data) && !this.blocked) this.blocked = this.drained(this.output);
  }

  private gone(): boolean {
    return this.ended || this.output.gone;
  }

  /** Runs once, on the first write, while the output is still the response. */
  private start(): string {
    this.started = true;
    const res = this.output.emitter;
    // A Nest exception filter of the app may have answered already; never write headers twice.
    if (res.headersSent) return firstChunkPadding(this.nonce);
    res.socket?.setNoDelay(true);
    res.writeHead(this.context.status, cometHeaders(this.nonce));
    return firstChunkPadding(this.nonce);
  }

  private readonly closed = (): void => {
    this.ended = true;
    this.onClose();
  };

  private serialize(batch: readonly SijaxCommand[]): string {
    try {
      return scriptChunk(this.frame, batch);
    } catch (error) {
      // A value JSON cannot encode (a BigInt, a cycle) is the handler's bug: report, keep streaming.
      new Logger('Sijax').error(HANDLER_FAILED(this.context.call.name), (error as Error).stack);
      return scriptChunk(this.frame, [errorCommand(describeFailure(error))]);
    }
  }

  private drained({ emitter }: ResponseOutput): Promise<void> {
    return new Promise((resolve) => {
      let waiting = true;
      // Separate calls, no chaining: `compression` hands 'drain' listeners to its zlib stream and
      // returns that stream from `on`, and its `off` cannot remove them there.
      const done = () => {
        if (!waiting) return;
        waiting = false;
        emitter.removeListener('close', done);
        this.blocked = undefined;
        resolve();
      };
      emitter.once('drain', done);
      emitter.once('close', done);
    });
  }
}
