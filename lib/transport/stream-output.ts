import type { ServerResponse } from 'http';
import type { Socket } from 'net';

const CRLF = '\r\n';
/** Ends a chunked body. */
const LAST_CHUNK = '0\r\n\r\n';

/** `compression` middleware adds `flush()`; calling it sends what it holds. */
type FlushableResponse = ServerResponse & { flush?: () => void };

/** Where a Comet stream's bytes go. `emitter` says 'drain' after a refused write, and 'close'. */
export interface StreamOutput {
  readonly emitter: NodeJS.EventEmitter;
  /** Ended, or the connection is gone: nothing may be written. */
  readonly gone: boolean;
  /** False when the socket cannot take more until 'drain'. */
  write(data: string): boolean;
  end(): void;
}

/** Through Node's response, as any route writes. */
export class ResponseOutput implements StreamOutput {
  private readonly flushable: boolean;

  constructor(readonly emitter: FlushableResponse) {
    this.flushable = typeof emitter.flush === 'function';
  }

  get gone(): boolean {
    return this.emitter.writableEnded || this.emitter.destroyed;
  }

  write(data: string): boolean {
    const accepted = this.emitter.write(data);
    if (this.flushable) this.emitter.flush!();
    return accepted;
  }

  end(): void {
    this.emitter.end();
  }
}

/** Straight to a connection the stream took over (see `socket-takeover.ts`). */
export class SocketOutput implements StreamOutput {
  private ended = false;

  /** `chunked`: the head announced HTTP/1.1 chunks, so every write is framed as one. */
  constructor(
    readonly emitter: Socket,
    private readonly chunked: boolean,
  ) {}

  get gone(): boolean {
    return this.ended || this.emitter.destroyed;
  }

  write(data: string): boolean {
    return this.emitter.write(
      this.chunked ? Buffer.byteLength(data).toString(16) + CRLF + data + CRLF : data,
    );
  }

  /**
   * As Node does for a `Connection: close` response: closed once all is sent, not when the
   * client gets round to closing its side (HTTP servers allow half-open connections).
   */
  end(): void {
    this.ended = true;
    const socket = this.emitter;
    const close = () => socket.destroy();
    if (this.chunked) socket.end(LAST_CHUNK, close);
    else socket.end(close);
  }
}
