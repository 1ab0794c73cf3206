import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'http';
import type { Call } from '../core/call';
import { SIJAX_DEFAULTS } from '../sijax.constants';
import { SijaxOptions } from '../sijax-options';
import { IframeEncoder } from './iframe/iframe.encoder';
import { SseEncoder } from './sse/sse.encoder';
import type { StreamEncoder } from './stream-encoder';
import { StreamWriter } from './stream-writer';

/** What feeds an open stream; shutdown stops it (the client is told with a 503 error). */
export interface StreamSource {
  cancel(reason: 'shutdown'): void;
}

/** One open stream: its writer, what feeds it, and when it has settled. */
export interface OpenStream {
  readonly writer: StreamWriter;
  readonly callId?: string;
  readonly source: StreamSource;
  readonly settled: Promise<void>;
}

/** The encoder a call asked for: SSE frames for fetch, script chunks for an iframe (the default). */
export function encoderFor(
  transport: 'sse' | 'iframe' | undefined,
  callId: string | undefined,
  resumable = false,
  heartbeatMs: number | false = false,
): StreamEncoder {
  const beat = heartbeatMs || 0;
  return transport === 'sse'
    ? new SseEncoder(resumable, beat)
    : new IframeEncoder(callId, resumable, beat);
}

/**
 * The open streams of the app, whatever their transport: one heartbeat timer for all of them
 * (none per stream or per chunk), and a clean end for each at shutdown.
 */
@Injectable()
export class CometStreams implements BeforeApplicationShutdown {
  private readonly open = new Set<OpenStream>();
  private timer: NodeJS.Timeout | undefined = undefined;
  /** The heartbeat sweep under way: the next slice of its streams. */
  private sweep: NodeJS.Immediate | undefined = undefined;

  constructor(private readonly options: SijaxOptions) {}

  get size(): number {
    return this.open.size;
  }

  /** Runs `call` as a stream on `res`; a client that leaves cancels it. Resolves once settled. */
  start(call: Call, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { transport, callId } = call.request;
    const writer = new StreamWriter(req, res, encoderFor(transport, callId), call, () =>
      call.cancel(),
    );
    const settled = call.stream(writer);
    this.track({ writer, callId, source: call, settled });
    return settled;
  }

  /** Heartbeats and shutdown for a stream fed by something else (a resumable call's log). */
  track(stream: OpenStream): void {
    this.open.add(stream);
    const close = () => this.close(stream);
    stream.settled.then(close, close);
    this.startHeartbeat();
  }

  /** Resolves once the open streams of `callId` have settled, at once when there are none. */
  settled(callId: string): Promise<void> {
    const streams = [...this.open].filter((stream) => stream.callId === callId);
    return Promise.all(streams.map((stream) => stream.settled)).then(() => undefined);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([...this.open].map((stream) => this.shutdown(stream)));
  }

  /** Tells the client the server is going away, stops the stream and waits for it to settle. */
  private async shutdown(stream: OpenStream): Promise<void> {
    const { writer, settled } = stream;
    stream.source.cancel('shutdown');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>(
      (resolve) => (timer = setTimeout(resolve, SIJAX_DEFAULTS.settleOnShutdownMs)),
    );
    await Promise.race([Promise.all([settled, writer.finished()]), timeout]);
    clearTimeout(timer);
    writer.abandon();
  }

  private startHeartbeat(): void {
    const { heartbeatMs } = this.options;
    if (!heartbeatMs || this.timer) return;
    // Ticking at half the period, a stream silent for a whole tick gets a heartbeat, so no
    // stream stays silent longer than `heartbeatMs` (and the few ms a sweep takes).
    this.timer = setInterval(() => this.beat(), heartbeatMs / 2);
    this.timer.unref();
  }

  /** One sweep over the open streams, `heartbeatSlice` of them per turn of the event loop. */
  private beat(): void {
    if (this.sweep) return;
    const writers = Array.from(this.open, ({ writer }) => writer);
    let next = 0;
    const slice = (): void => {
      const end = Math.min(next + SIJAX_DEFAULTS.heartbeatSlice, writers.length);
      for (; next < end; next++) writers[next].heartbeat();
      this.sweep = next < writers.length ? setImmediate(slice).unref() : undefined;
    };
    slice();
  }

  private close(stream: OpenStream): void {
    this.open.delete(stream);
    if (this.open.size === 0 && this.timer) {
      clearInterval(this.timer);
      clearImmediate(this.sweep);
      this.timer = this.sweep = undefined;
    }
  }
}
