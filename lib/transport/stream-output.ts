import type { ServerResponse } from 'http';

/** `compression` middleware adds `flush()`; calling it sends what it holds. */
type FlushableResponse = ServerResponse & { flush?: () => void };

/** Where a Comet stream's bytes go: Node's response, as any route writes. */
export class ResponseOutput {
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
