import type { CommandSink } from './command-sink';

/** The consumer of a whole call: the stream writer, or nothing for a regular call. */
export interface CallSink {
  readonly streaming: boolean;
  closed: boolean;
  flush(): void;
  ready(): Promise<void> | undefined;
  /** The stage running now, so that closing the call stops it. */
  current?: StageSink;
}

/**
 * One stage (before, handler, after) of a call. A stage can be stopped on its own (a timeout)
 * while the call goes on to its after-processing stage.
 */
export class StageSink implements CommandSink {
  stopCurrent?: () => void;
  private stopped = false;

  constructor(private readonly call: CallSink) {
    call.current = this;
  }

  get streaming(): boolean {
    return this.call.streaming;
  }

  get closed(): boolean {
    return this.stopped || this.call.closed;
  }

  flush(): void {
    if (!this.stopped) this.call.flush();
  }

  ready(): Promise<void> | undefined {
    return this.call.ready();
  }

  stop(): void {
    this.stopped = true;
    this.stopCurrent?.();
  }
}
