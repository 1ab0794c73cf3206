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

  /** The replay read from the store, then whatever came meanwhile. */
  replay(entries: readonly CallLogEntry[]): void {
    for (const entry of entries) this.take(entry);
    this.replaying = false;
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
