import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { SijaxOptions } from '../sijax-options';
import type { CometStream } from './comet-stream';

/**
 * The open Comet streams of the app: one heartbeat timer for all of them (none per stream or
 * per chunk), and a clean end for each on shutdown.
 */
@Injectable()
export class OpenCometStreams implements BeforeApplicationShutdown {
  private readonly streams = new Set<CometStream>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly options: SijaxOptions) {}

  get size(): number {
    return this.streams.size;
  }

  add(stream: CometStream): void {
    this.streams.add(stream);
    const { heartbeatMs } = this.options;
    if (heartbeatMs && !this.timer) {
      // Ticking at half the period, a stream silent for a whole tick gets a heartbeat, so no
      // stream stays silent longer than `heartbeatMs`.
      const beat = () => this.streams.forEach((open) => open.heartbeat());
      this.timer = setInterval(beat, heartbeatMs / 2);
      this.timer.unref();
    }
  }

  delete(stream: CometStream): void {
    this.streams.delete(stream);
    if (this.streams.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([...this.streams].map((stream) => stream.shutdown()));
  }
}
