import type {
  CallLogEntry,
  CallLogLimits,
  CallLogRead,
  CallStore,
  ResumableCallInfo,
} from './call-store';
import { BATCH_OVERHEAD, BatchLog } from './batch-log';
import { SIJAX_DEFAULTS } from '../sijax.constants';
import { CallGoneError } from './call-errors';

/** @publicApi */
export interface MemoryCallStoreOptions {
  /** Most bytes all logs hold together (see MemoryCallStore); ended calls go first. @default 64 MiB */
  maxTotalBytes?: number;
}

/** What the terminal entry costs (a batch costs its JSON plus BATCH_OVERHEAD). */
const END_COST = BATCH_OVERHEAD;
/**
 * What a log costs besides its batches: its records, its id and info, its place in the maps.
 * About 0.6 to 0.7 KiB of V8's heap on Node 20 to 26, counted as 1 KiB (room for long ids and
 * owners): a flood of short calls is bounded by `maxTotalBytes` as a few long ones are.
 */
export const LOG_OVERHEAD = 1024;

/** One call's log. (A class with every field set up front: one shape for all, on a hot path.) */
class MemoryLog {
  readonly batches = new BatchLog();
  /** The terminal entry, once the call has ended. */
  end: CallLogEntry | undefined = undefined;
  /** Readers following it as it runs; made for the first (most logs never have one). */
  followers: Set<() => void> | undefined = undefined;
  onCancel: (() => void) | undefined = undefined;
  onProgress: ((offset: number) => void) | undefined = undefined;
  /** When an ended log expires (`Date.now()` ms). */
  expiresAt = 0;

  constructor(
    readonly info: ResumableCallInfo,
    readonly limits: CallLogLimits,
  ) {}

  /** The last offset written (the terminal entry's once ended), 0 before the first. */
  get lastOffset(): number {
    if (this.end) return this.end.offset;
    const { firstOffset, count } = this.batches;
    return firstOffset === undefined ? 0 : firstOffset + count - 1;
  }

  /** What the log holds, in the units of `maxTotalBytes`. */
  get cost(): number {
    return LOG_OVERHEAD + this.batches.size + (this.end ? END_COST : 0);
  }
}

/**
 * The default store: resumable calls' logs in this process's memory, for one instance. Each
 * log holds at most `maxBatches` batches and is dropped `retainMs` after its end; all logs
 * together hold at most `maxTotalBytes`, ended logs evicted first, then the oldest batches of
 * the running one that grows (a call that floods trims its own log before anyone else's), then
 * of the others. A log holds its batches' JSON joined 64 at a time into flat strings, plus 2
 * bytes a batch; it counts characters (a byte each in V8 for Latin-1 text, two beyond it) and
 * holds a joined bulk whole until its last batch is trimmed. Each log counts 1 KiB more
 * (`LOG_OVERHEAD`), what it takes besides its batches: a flood of short calls evicts the oldest
 * ended ones instead of growing the heap for `retainMs`. Running calls are never evicted, only
 * trimmed: their number is the app's to bound, as their handlers are.
 * @publicApi
 */
export class MemoryCallStore implements CallStore {
  private readonly logs = new Map<string, MemoryLog>();
  private readonly maxTotalBytes: number;
  private totalBytes = 0;
  /** Ended logs, the oldest end first: the first to evict. */
  private readonly ended = new Set<MemoryLog>();
  /** The log appended to last: a running call appends to the same one batch after batch. */
  private lastAppended: MemoryLog | undefined = undefined;
  /** One timer for all ended logs (a timer each would cost a quarter of a short log). */
  private sweeper: NodeJS.Timeout | undefined = undefined;

  constructor(options: MemoryCallStoreOptions = {}) {
    this.maxTotalBytes = options.maxTotalBytes ?? 64 * 1024 * 1024;
  }

  create(info: ResumableCallInfo, limits: CallLogLimits): boolean {
    if (this.live(info.callId)) return false;
    const log = new MemoryLog(info, limits);
    this.logs.set(info.callId, log);
    this.totalBytes += log.cost;
    if (this.totalBytes > this.maxTotalBytes) this.evict();
    return true;
  }

  info(callId: string): ResumableCallInfo | undefined {
    return this.live(callId)?.info;
  }

  append(callId: string, entries: readonly CallLogEntry[]): void {
    let log = this.lastAppended;
    if (log?.info.callId !== callId) log = this.lastAppended = this.logs.get(callId);
    if (!log || log.end) return;
    const { batches, followers } = log;
    const before = log.cost;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i];
      if (entry.outcome) this.end(log, entry);
      else batches.append(entry.offset, entry.json!);
    }
    const { maxBatches } = log.limits;
    while (batches.count > maxBatches) batches.dropOldest();
    this.totalBytes += log.cost - before;
    if (this.totalBytes > this.maxTotalBytes) this.evict(log);
    // Told once the log is as it stays: they read it themselves.
    if (followers !== undefined) for (const follower of followers) follower();
  }

  read(callId: string, after: number, limit = Infinity): CallLogRead {
    const log = this.live(callId);
    if (!log) throw new CallGoneError();
    const first = log.batches.firstOffset ?? log.end?.offset ?? after + 1;
    // The entry right after `after` must still be here (or not written yet).
    if (first > after + 1) throw new CallGoneError();
    const entries = log.batches.entriesAfter(after, limit);
    if (log.end && log.end.offset > after && entries.length < limit) entries.push(log.end);
    return { entries, ended: log.end !== undefined };
  }

  async follow(
    callId: string,
    after: number,
    onEntry: (entry: CallLogEntry) => Promise<void> | void,
    signal: AbortSignal,
  ): Promise<void> {
    const page = SIJAX_DEFAULTS.replayPage;
    const log = this.live(callId);
    if (!log) throw new CallGoneError();
    // Where reading goes on. A client may claim an offset past the log: the follower then reads
    // on from the log's end (skipping what it claims to have), so the terminal entry still comes.
    let cursor = Math.min(after, log.lastOffset);
    let read = this.read(callId, cursor, page);
    log.onProgress?.(after);
    // The follower reads the log itself, a page at a time as onEntry takes it, and is only told
    // that something was appended: it holds no entry of its own, so a lagging one costs nothing
    // beyond the log's bounds, and one the log was trimmed past gets CallGoneError, as on Redis.
    let appended = false;
    let wake: (() => void) | undefined;
    const follower = () => {
      appended = true;
      wake?.();
    };
    const stop = () => wake?.();
    // In the tick of the first read: nothing appended after it is missed.
    if (!read.ended) (log.followers ??= new Set()).add(follower);
    signal.addEventListener('abort', stop);
    try {
      for (;;) {
        for (const entry of read.entries) {
          cursor = entry.offset;
          if (entry.offset <= after && !entry.outcome) continue;
          await onEntry(entry);
          log.onProgress?.(entry.offset);
          if (entry.outcome || signal.aborted) return;
        }
        if (signal.aborted) return;
        // Caught up. An ended log's short page held its terminal entry (handed over above), or
        // the client claimed an offset past it: nothing more comes.
        const caughtUp = read.entries.length < page;
        if (caughtUp && read.ended) return;
        if (caughtUp && !appended) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
          if (signal.aborted) return;
        }
        appended = false;
        read = this.read(callId, cursor, page);
      }
    } finally {
      if (log.followers?.delete(follower) && log.followers.size === 0) log.followers = undefined;
      signal.removeEventListener('abort', stop);
    }
  }

  requestCancel(callId: string): void {
    this.live(callId)?.onCancel?.();
  }

  run(callId: string, onCancel: () => void, onProgress: (offset: number) => void): () => void {
    const log = this.live(callId);
    if (log) [log.onCancel, log.onProgress] = [onCancel, onProgress];
    return () => {
      if (log?.onCancel === onCancel) log.onCancel = log.onProgress = undefined;
    };
  }

  close(): void {
    clearTimeout(this.sweeper);
    this.sweeper = undefined;
    this.logs.clear();
    this.ended.clear();
    this.totalBytes = 0;
    this.lastAppended = undefined;
  }

  /** The call's log, unless it is unknown or has expired (dropped then, sweep or not). */
  private live(callId: string): MemoryLog | undefined {
    const log = this.logs.get(callId);
    if (log?.end === undefined || log.expiresAt > Date.now()) return log;
    this.drop(log);
    return undefined;
  }

  private end(log: MemoryLog, end: CallLogEntry): void {
    log.end = end;
    log.batches.seal();
    log.expiresAt = Date.now() + log.limits.retainMs;
    this.ended.add(log);
    if (this.sweeper === undefined) this.sweepAt(log.expiresAt);
  }

  /**
   * Drops the expired logs at the front of `ended`. Logs end in its order, so with one
   * `retainMs` (one module's) they expire in it too; a shorter-lived one behind is dropped when
   * reached or read.
   */
  private sweep(): void {
    this.sweeper = undefined;
    const now = Date.now();
    for (const log of this.ended) {
      if (log.expiresAt > now) return this.sweepAt(log.expiresAt);
      this.drop(log);
    }
  }

  private sweepAt(time: number): void {
    this.sweeper = setTimeout(() => this.sweep(), Math.max(0, time - Date.now()));
    this.sweeper.unref();
  }

  private drop(log: MemoryLog): void {
    if (this.logs.get(log.info.callId) !== log) return;
    this.logs.delete(log.info.callId);
    this.ended.delete(log);
    this.totalBytes -= log.cost;
    if (this.lastAppended === log) this.lastAppended = undefined;
  }

  /**
   * Over the total: ended logs go first (oldest first), then the oldest batches of `growing`
   * (the log just appended to), then of the other running logs. Trimming the growing log first
   * also keeps appends cheap once running logs alone fill the bound: no walk over every log.
   */
  private evict(growing?: MemoryLog): void {
    // The oldest ended log is the set's first: no walk past running ones on every new call.
    for (const log of this.ended) {
      if (this.totalBytes <= this.maxTotalBytes) return;
      this.drop(log);
    }
    if (growing) this.trim(growing);
    if (this.totalBytes <= this.maxTotalBytes) return;
    for (const log of this.logs.values()) {
      this.trim(log);
      if (this.totalBytes <= this.maxTotalBytes) return;
    }
  }

  /** Drops a running log's oldest batches while over the total, down to its newest. */
  private trim(log: MemoryLog): void {
    while (this.totalBytes > this.maxTotalBytes && log.batches.count > 1) {
      const before = log.cost;
      log.batches.dropOldest();
      this.totalBytes += log.cost - before;
    }
  }
}
