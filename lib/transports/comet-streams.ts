import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'http';
import type { Call } from '../core/call';
import { SIJAX_DEFAULTS } from '../sijax.constants';
import { SijaxOptions } from '../sijax-options';
import { IframeEncoder } from './iframe/iframe.encoder';
import { SseEncoder } from './sse/sse.encoder';
import type { StreamEncoder } from './stream-encoder';
import { StreamWriter } from './stream-writer';

/** One running stream: the call, the writer that is its sink, and when it has settled. */
interface OpenStream {
  readonly call: Call;
  readonly writer: StreamWriter;
  readonly settled: Promise<void>;
}

/** The encoder a call asked for: SSE frames for fetch, script chunks for an iframe (the default). */
export function encoderFor(call: Call): StreamEncoder {
  return call.request.transport === 'sse'
    ? new SseEncoder()
    : new IframeEncoder(call.request.callId);
}

/**
 * The open streams of the app, whatever their transport: one heartbeat timer for all of them
 * (none per stream or per chunk), and a clean end for each at shutdown.
 */
@Injectable()
export class CometStreams implements BeforeApplicationShutdown {
  private readonly open = new Set<OpenStream>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly options: SijaxOptions) {}

  get size(): number {
    return this.open.size;
  }

  /** Runs `call` as a stream on `res`; a client that leaves cancels it. */
  start(call: Call, req: IncomingMessage, res: ServerResponse): void {
    const writer = new StreamWriter(req, res, encoderFor(call), call, () => call.cancel());
    const stream: OpenStream = { call, writer, settled: call.stream(writer) };
    this.open.add(stream);
    void stream.settled.finally(() => this.close(stream));
    this.startHeartbeat();
  }

  /** Resolves once the open stream of `callId` has settled, at once when there is none. */
  settled(callId: string): Promise<void> {
    for (const stream of this.open) {
      if (stream.call.request.callId === callId) return stream.settled;
    }
    return Promise.resolve();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([...this.open].map((stream) => this.shutdown(stream)));
  }

  /** Tells the client the server is going away, cancels the handler and waits for it to settle. */
  private async shutdown({ call, writer, settled }: OpenStream): Promise<void> {
    call.cancel('shutdown');
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
    // stream stays silent longer than `heartbeatMs`.
    this.timer = setInterval(
      () => this.open.forEach(({ writer }) => writer.heartbeat()),
      heartbeatMs / 2,
    );
    this.timer.unref();
  }

  private close(stream: OpenStream): void {
    this.open.delete(stream);
    if (this.open.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
