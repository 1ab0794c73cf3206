import type {
  CallLogEntry,
  CallLogLimits,
  CallLogRead,
  CallStore,
  ResumableCallInfo,
} from './call-store';
import { BATCH_OVERHEAD, BatchLog } from './batch-log';
import { CallGoneError } from './call-errors';

/** @publicApi */
export interface MemoryCallStoreOptions {
  /** Most bytes all logs hold together (see MemoryCallStore); ended calls go first. @default 64 MiB */
  maxTotalBytes?: number;
}

/** What the terminal entry costs (a batch costs its JSON plus BATCH_OVERHEAD). */
const END_COST = BATCH_OVERHEAD;

/** One call's log. (A class with every field set up front: one shape for all, on a hot path.) */
class MemoryLog {
  readonly batches = new BatchLog();
  /** The terminal entry, once the call has ended. */
  end: CallLogEntry | undefined = undefined;
  readonly followers = new Set<(entry: CallLogEntry) => void>();
  onCancel: (() => void) | undefined = undefined;
  onProgress: ((offset: number) => void) | undefined = undefined;
  expiry: NodeJS.Timeout | undefined = undefined;

  constructor(
    readonly info: ResumableCallInfo,
    readonly limits: CallLogLimits,
  ) {}

  /** What the log holds, in the units of `maxTotalBytes`. */
  get cost(): number {
    return this.batches.size + (this.end ? END_COST : 0);
  }
}

/**
 * The default store: resumable calls' logs in this process's memory, for one instance. Each
 * log holds at most `maxBatches` batches and is dropped `retainMs` after its end; all logs
 * together hold at most `maxTotalBytes`, ended logs evicted first, then the oldest batches of
 * running ones. A log holds its batches' JSON joined 64 at a time into flat strings, plus 2
 * bytes a batch; it counts characters (a byte each in V8 for Latin-1 text, two beyond it) and
 * holds a joined bulk whole until its last batch is trimmed.
 * @publicApi
 */
export class MemoryCallStore implements CallStore {
  private readonly logs = new Map<string, MemoryLog>();
  private readonly maxTotalBytes: number;
  private totalBytes = 0;
  /** The log appended to last: a running call appends to the same one batch after batch. */
  private lastAppended: MemoryLog | undefined = undefined;

  constructor(options: MemoryCallStoreOptions = {}) {
    this.maxTotalBytes = options.maxTotalBytes ?? 64 * 1024 * 1024;
  }

  create(info: ResumableCallInfo, limits: CallLogLimits): boolean {
    if (this.logs.has(info.callId)) return false;
    this.logs.set(info.callId, new MemoryLog(info, limits));
    return true;
  }

  info(callId: string): ResumableCallInfo | undefined {
    return this.logs.get(callId)?.info;
  }

  append(callId: string, entries: readonly CallLogEntry[]): void {
    let log = this.lastAppended;
    if (log?.info.callId !== callId) log = this.lastAppended = this.logs.get(callId);
    if (!log || log.end) return;
    const { batches, followers } = log;
    const before = log.cost;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i];
      if (entry.outcome) this.ended(log, entry);
      else batches.append(entry.offset, entry.json!);
      if (followers.size > 0) for (const follower of followers) follower(entry);
    }
    const { maxBatches } = log.limits;
    while (batches.count > maxBatches) batches.dropOldest();
    this.totalBytes += log.cost - before;
    if (this.totalBytes > this.maxTotalBytes) this.evict();
  }

  read(callId: string, after: number): CallLogRead {
    const log = this.logs.get(callId);
    if (!log) throw new CallGoneError();
    const first = log.batches.firstOffset ?? log.end?.offset ?? after + 1;
    // The entry right after `after` must still be here (or not written yet).
    if (first > after + 1) throw new CallGoneError();
    const entries = log.batches.entriesAfter(after);
    if (log.end && log.end.offset > after) entries.push(log.end);
    return { entries, ended: log.end !== undefined };
  }

  async follow(
    callId: string,
    after: number,
    onEntry: (entry: CallLogEntry) => Promise<void> | void,
    signal: AbortSignal,
  ): Promise<void> {
    const { entries, ended } = this.read(callId, after);
    const log = this.logs.get(callId)!;
    const queue = [...entries];
    let wake: (() => void) | undefined;
    const follower = (entry: CallLogEntry) => {
      queue.push(entry);
      wake?.();
    };
    if (!ended) log.followers.add(follower);
    const stop = () => wake?.();
    signal.addEventListener('abort', stop);
    try {
      for (;;) {
        const entry = queue.shift();
        if (entry) {
          await onEntry(entry);
          log.onProgress?.(entry.offset);
          if (entry.outcome) return;
        } else if (signal.aborted || (ended && queue.length === 0)) return;
        else await new Promise<void>((resolve) => (wake = resolve));
      }
    } finally {
      log.followers.delete(follower);
      signal.removeEventListener('abort', stop);
    }
  }

  requestCancel(callId: string): void {
    this.logs.get(callId)?.onCancel?.();
  }

  run(callId: string, onCancel: () => void, onProgress: (offset: number) => void): () => void {
    const log = this.logs.get(callId);
    if (log) [log.onCancel, log.onProgress] = [onCancel, onProgress];
    return () => {
      if (log?.onCancel === onCancel) log.onCancel = log.onProgress = undefined;
    };
  }

  close(): void {
    for (const log of this.logs.values()) clearTimeout(log.expiry);
    this.logs.clear();
    this.totalBytes = 0;
    this.lastAppended = undefined;
  }

  private ended(log: MemoryLog, end: CallLogEntry): void {
    log.end = end;
    log.expiry = setTimeout(() => this.drop(log), log.limits.retainMs);
    log.expiry.unref();
  }

  private drop(log: MemoryLog): void {
    clearTimeout(log.expiry);
    if (this.logs.get(log.info.callId) !== log) return;
    this.logs.delete(log.info.callId);
    this.totalBytes -= log.cost;
    if (this.lastAppended === log) this.lastAppended = undefined;
  }

  /** Over the total: ended logs go first (oldest first), then running logs' oldest batches. */
  private evict(): void {
    for (const log of this.logs.values()) {
      if (this.totalBytes <= this.maxTotalBytes) return;
      if (log.end) this.drop(log);
    }
    for (const log of this.logs.values()) {
      while (this.totalBytes > this.maxTotalBytes && log.batches.count > 1) {
        const before = log.cost;
        log.batches.dropOldest();
        this.totalBytes += log.cost - before;
      }
    }
  }
}
