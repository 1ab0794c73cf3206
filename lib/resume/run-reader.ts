import type { CallLogEntry } from './call-store';
import type { StreamWriter } from '../transports/stream-writer';

/**
 * One connection following a resumable call: writes the log's entries after `after` to its
 * stream, each once, in order. Entries that arrive while an earlier replay is still being read
 * wait, so that nothing is doubled or skipped between the replay and the live batches.
 */
export class RunReader {
  /** The last offset written to this reader's stream. */
  written: number;
  private replaying = true;
  private held: CallLogEntry[] = [];

  constructor(
    readonly writer: StreamWriter,
    after: number,
  ) {
    this.written = after;
  }

  get closed(): boolean {
    return this.writer.closed;
  }

  ready(): Promise<void> | undefined {
    return this.writer.ready();
  }

  /** A live entry: written now, or held until the replay is done. */
  push(entry: CallLogEntry): void {
    if (this.replaying) this.held.push(entry);
    else this.take(entry);
  }

  /**
   * The replay read from the store, written as the connection takes it, then whatever came
   * meanwhile. Not all at once: a client that attaches and does not read would have a copy of
   * the whole log buffered for it, one per attach.
   */
  replay(entries: readonly CallLogEntry[], from = 0): void {
    for (let i = from; i < entries.length; i++) {
      this.take(entries[i]);
      const wait = this.writer.ready();
      if (wait && i + 1 < entries.length) {
        void wait.then(() => this.replay(entries, i + 1));
        return;
      }
    }
    this.replaying = false;
    // Few: while this connection is full, it paces the handler (`ResumableRun.ready`).
    for (const entry of this.held.splice(0)) this.take(entry);
  }

  private take(entry: CallLogEntry): void {
    if (entry.offset <= this.written) return;
    if (entry.outcome) {
      if (this.writer.closed) return;
      this.writer.end(entry.outcome);
    } else if (!this.writer.writeJson(entry.json!, entry.offset)) return;
    this.written = entry.offset;
  }
}
