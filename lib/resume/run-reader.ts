import { HttpException, Logger } from '@nestjs/common';
import type { CallOutcome } from '../core/call';
import { describeFailure, errorCommand } from '../errors/describe-failure';
import { SIJAX_DEFAULTS } from '../sijax.constants';
import { FOLLOW_FAILED, STORE_READ_STUCK } from '../sijax.messages';
import type { StreamWriter } from '../transports/stream-writer';
import type { CallLogEntry, CallLogRead } from './call-store';

/** The next page of a replay: `CallStore.read` after an offset, `replayPage` entries at most. */
export type ReplayPages = (after: number) => Promise<CallLogRead> | CallLogRead;

/**
 * One connection following a resumable call: writes the log's entries after `after` to its
 * stream, each once, in order. Entries that arrive while an earlier replay is still being read
 * wait, so that nothing is doubled or skipped between the replay and the live batches.
 */
export class RunReader {
  /** The last offset written to this reader's stream. */
  written: number;
  private held: CallLogEntry[] = [];

  /** `replaying` false: live entries are written at once (a follower through the store). */
  constructor(
    readonly writer: StreamWriter,
    after: number,
    private replaying = true,
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
   * The replay, `first` then (a full page) the pages `next` reads, written as the connection
   * takes them, then whatever came meanwhile. Not all at once: a client that attaches and does
   * not read would have the whole log read and buffered for it, once per attach. A page that
   * cannot be read (the log was trimmed past it meanwhile) ends the stream with its error
   * (`fail`), and rejects.
   */
  async replay(first: readonly CallLogEntry[], next?: ReplayPages): Promise<void> {
    try {
      let page = first;
      for (;;) {
        for (let i = 0; i < page.length; i++) {
          this.take(page[i]);
          if (this.writer.closed) return;
          const wait = this.writer.ready();
          if (wait) await wait;
        }
        const last = page[page.length - 1];
        if (!next || page.length < SIJAX_DEFAULTS.replayPage || last.outcome) return;
        page = (await next(last.offset)).entries;
        // A store whose read does not move on would replay the same page for ever.
        if (page.length > 0 && page[page.length - 1].offset <= last.offset) {
          throw new Error(STORE_READ_STUCK);
        }
      }
    } catch (error) {
      // The stream ends here, with the error: nothing held is written past the lost page.
      this.held = [];
      this.fail(error);
      throw error;
    } finally {
      this.replaying = false;
      // Few: while this connection is full, it paces the handler (`ResumableRun.ready`).
      for (const entry of this.held.splice(0)) this.take(entry);
    }
  }

  /** Ends the stream with an error command: what failed after its head went out. */
  fail(error: unknown, outcome: CallOutcome = 'error'): void {
    if (this.writer.closed) return;
    // A gone or lost call is the client's news; anything else is the server's (a store's) bug.
    if (!(error instanceof HttpException)) {
      new Logger('Sijax').error(FOLLOW_FAILED, (error as Error | undefined)?.stack);
    }
    this.writer.write([errorCommand(describeFailure(error))], this.written + 1);
    this.writer.end(outcome);
  }

  private take(entry: CallLogEntry): void {
    if (entry.outcome) {
      // Also at or below `written`: a client that claims an offset past the end is not left open.
      if (this.writer.closed) return;
      this.writer.end(entry.outcome);
    } else if (entry.offset <= this.written || !this.writer.writeJson(entry.json!, entry.offset)) {
      return;
    }
    this.written = Math.max(this.written, entry.offset);
  }
}
