import { Logger } from '@nestjs/common';
import type { Call, CallOutcome, CallSink } from '../core/call';
import { describeFailure, errorCommand } from '../errors/describe-failure';
import type { SijaxCommand } from '../protocol/commands';
import { SIJAX_DEFAULTS } from '../sijax.constants';
import { ENCODING_FAILED } from '../sijax.messages';
import type { CallLogEntry, CallStore } from './call-store';
import type { ReplayPages, RunReader } from './run-reader';

/** How a run is paced and kept, from the module's `resume` options. */
export interface RunSettings {
  readonly lingerMs: number;
  readonly maxBatches: number;
}

/**
 * A resumable call on the instance that runs it: the call's sink. Each batch goes to the log
 * first, then to the connections following it. The last reader leaving does not cancel the call:
 * it runs on for `lingerMs`. With a reader, that reader's socket paces the handler; without one,
 * the handler is paused once `maxBatches` batches wait unread.
 */
export class ResumableRun implements CallSink {
  /** Replaced, not changed, when a reader comes or goes: a loop over it is never disturbed. */
  private readers: readonly RunReader[] = [];
  readonly callId: string;
  /** Settles when the call has run to its end. */
  settled!: Promise<void>;
  private offset = 0;
  /**
   * Highest offset a reader has taken: reported by followers elsewhere, and read from a
   * connection here when it leaves (while one is here, it paces the handler, not this).
   */
  private progress = 0;
  private ended = false;
  // Every field set up front (also the empty ones): one shape for every run, on a hot path.
  private linger: NodeJS.Timeout | undefined = undefined;
  private inflight: Promise<void> | undefined = undefined;
  private backlog: CallLogEntry[] = [];
  private paused: { promise: Promise<void>; resume: () => void } | undefined = undefined;
  /** Lets go of the store's hold on the call (its refreshes, its control channel): once. */
  private release: (() => void) | undefined;
  private readonly backlogLimit: number;

  constructor(
    readonly call: Call,
    private readonly store: CallStore,
    private readonly settings: RunSettings,
    private readonly onEnd: (run: ResumableRun) => void,
  ) {
    this.callId = call.request.callId!;
    this.backlogLimit = Math.min(settings.maxBatches, SIJAX_DEFAULTS.appendBacklog);
    this.release = store.run(
      this.callId,
      () => call.cancel(),
      (offset) => this.advance(offset),
    );
  }

  start(): void {
    this.settled = this.call.stream(this);
    this.lingerIfAlone();
  }

  write(batch: SijaxCommand[], offset: number): void {
    this.offset = offset;
    this.queue({ offset, json: this.encode(batch) });
  }

  ready(): Promise<void> | undefined {
    const readers = this.readers;
    for (let i = 0; i < readers.length; i++) {
      const wait = readers[i].ready();
      if (wait) return wait;
    }
    // A store slower than the handler: a bounded backlog, not the whole log in one append
    // (and one burst to the readers).
    if (this.inflight && this.backlog.length >= this.backlogLimit) return this.inflight;
    if (readers.length > 0 || this.offset - this.progress < this.settings.maxBatches) {
      return undefined;
    }
    if (!this.paused) {
      let resume!: () => void;
      const promise = new Promise<void>((resolve) => (resume = resolve));
      this.paused = { promise, resume };
    }
    return this.paused.promise;
  }

  end(outcome: CallOutcome): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.linger);
    // The store lets go once the terminal entry is in the log (deliver), not before: a store
    // that reads the call's limits on append would otherwise have to fetch them again.
    this.queue({ offset: this.offset + 1, outcome });
    this.unpause();
  }

  /**
   * A connection follows from `after` on: the log's replay (its first page, and `next` for the
   * rest), then live batches.
   */
  add(
    reader: RunReader,
    replay: Promise<readonly CallLogEntry[]> | readonly CallLogEntry[],
    next?: ReplayPages,
  ): void {
    this.readers = [...this.readers, reader];
    clearTimeout(this.linger);
    this.linger = undefined;
    // A handler paused for want of a reader goes on: this one's socket paces it now.
    this.unpause();
    // A page gone meanwhile ended that stream with an error; the call goes on for the others.
    const take = (entries: readonly CallLogEntry[]) =>
      void reader.replay(entries, next).catch(() => this.remove(reader));
    // A replay the log cannot serve is answered by whoever attached the reader (410).
    if (replay instanceof Promise) replay.then(take, () => undefined);
    else take(replay);
  }

  /** The reader's connection went away: the call lingers if it was the last. */
  remove(reader: RunReader): void {
    this.readers = this.readers.filter((other) => other !== reader);
    // No further than the log: a client may claim any offset.
    this.progress = Math.max(this.progress, Math.min(reader.written, this.offset));
    this.lingerIfAlone();
  }

  /** A reader wrote up to `offset`: a paused handler may go on. */
  advance(offset: number): void {
    // A follower elsewhere counts as a reader for the linger, also when it reports no progress
    // (it waits on a handler that says nothing): its reports are its only sign of presence.
    if (this.readers.length === 0 && !this.ended) this.lingerIfAlone(true);
    // No further than the log here, as for a connection that leaves (see remove).
    offset = Math.min(offset, this.offset);
    if (offset <= this.progress) return;
    this.progress = offset;
    if (this.paused && this.offset - this.progress < this.settings.maxBatches) this.unpause();
  }

  private lingerIfAlone(restart = false): void {
    if (this.ended || this.readers.length > 0 || (this.linger && !restart)) return;
    clearTimeout(this.linger);
    this.linger = setTimeout(() => this.call.cancel(), this.settings.lingerMs);
    this.linger.unref();
  }

  private unpause(): void {
    const paused = this.paused;
    this.paused = undefined;
    paused?.resume();
  }

  /** The log first, then the readers; a store that answers later keeps the order. */
  private queue(entry: CallLogEntry): void {
    if (this.inflight) this.backlog.push(entry);
    else this.append([entry]);
  }

  /** What piled up while a store's answer was awaited goes in one append. */
  private append(entries: CallLogEntry[]): void {
    const appended = this.store.append(this.callId, entries);
    if (!(appended instanceof Promise)) return this.deliver(entries);
    this.inflight = appended.then(
      () => {
        this.inflight = undefined;
        this.deliver(entries);
        if (this.backlog.length > 0) this.append(this.backlog.splice(0));
      },
      (error: unknown) => this.storeFailed(error),
    );
  }

  private deliver(entries: readonly CallLogEntry[]): void {
    const readers = this.readers;
    const count = entries.length;
    for (let r = 0; r < readers.length; r++)
      for (let i = 0; i < count; i++) readers[r].push(entries[i]);
    if (entries[count - 1].outcome) {
      this.letGo();
      this.onEnd(this);
    }
  }

  private storeFailed(error: unknown): void {
    new Logger('Sijax').error(
      `The log of a resumable call could not be written`,
      (error as Error).stack,
    );
    this.inflight = undefined;
    this.call.cancel();
    this.letGo();
    for (const reader of this.readers) reader.writer.end('error');
  }

  private letGo(): void {
    const release = this.release;
    this.release = undefined;
    release?.();
  }

  private encode(batch: SijaxCommand[]): string {
    try {
      return JSON.stringify(batch);
    } catch (error) {
      new Logger('Sijax').error(ENCODING_FAILED(this.call.name), (error as Error).stack);
      return JSON.stringify([errorCommand(describeFailure(error))]);
    }
  }
}
