import { Logger } from '@nestjs/common';
import type { ServerResponse } from 'http';
import type { SijaxCommand } from '../response/sijax-command.interface';
import type { SijaxCallContext, StreamGate } from '../sijax.dispatcher';
import { HANDLER_FAILED } from '../sijax.messages';
import {
  createChunkFrame,
  FIRST_CHUNK_PADDING,
  scriptChunk,
  type ChunkFrame,
} from './script-chunk';

/** `compression` middleware adds `flush()`; calling it sends what it holds. */
type FlushableResponse = ServerResponse & { flush?: () => void };

export const COMET_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  'X-Accel-Buffering': 'no',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'SAMEORIGIN',
  'Content-Security-Policy': "frame-ancestors 'self'",
} as const;

/** Writes a Comet call's batches as `<script>` chunks of an HTML document, as they come. */
export class IframeStreamWriter implements StreamGate {
  private readonly frame: ChunkFrame;
  private readonly flushable: boolean;
  private started = false;
  private blocked?: Promise<void>;

  constructor(
    private readonly res: FlushableResponse,
    private readonly context: SijaxCallContext,
  ) {
    this.frame = createChunkFrame(context.call.callId);
    this.flushable = typeof res.flush === 'function';
  }

  /** Resolves once the socket drains (or closes) after a write it could not take at once. */
  ready(): Promise<void> | undefined {
    return this.blocked;
  }

  write(batch: readonly SijaxCommand[]): void {
    let chunk = this.serialize(batch);
    if (!this.started) chunk = this.start() + chunk;
    if (!this.res.write(chunk) && !this.blocked) this.blocked = this.drained();
    if (this.flushable) this.res.flush!();
  }

  end(): void {
    if (!this.started) this.start();
    this.res.end();
  }

  private start(): string {
    this.started = true;
    this.res.socket?.setNoDelay(true);
    this.res.writeHead(this.context.status, COMET_HEADERS);
    return FIRST_CHUNK_PADDING;
  }

  private serialize(batch: readonly SijaxCommand[]): string {
    try {
      return scriptChunk(this.frame, batch);
    } catch (error) {
      // A value JSON cannot encode (a BigInt, a cycle) is the handler's bug: report, keep streaming.
      new Logger('Sijax').error(HANDLER_FAILED(this.context.call.name), (error as Error).stack);
      return scriptChunk(this.frame, [
        { type: 'error', error: 'Internal server error', status: 500 },
      ]);
    }
  }

  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.res.off('drain', done).off('close', done);
        this.blocked = undefined;
        resolve();
      };
      this.res.on('drain', done).on('close', done);
    });
  }
}
