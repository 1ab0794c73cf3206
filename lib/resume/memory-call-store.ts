import type {
  CallLogEntry,
  CallLogLimits,
  CallLogRead,
  CallStore,
  ResumableCallInfo,
} from './call-store';
import { CallGoneError } from './call-errors';

/** @publicApi */
export interface MemoryCallStoreOptions {
  /** Most bytes of batch JSON kept for all calls together; ended calls go first. @default 64 MiB */
  maxTotalBytes?: number;
}

/** What a kept entry costs besides its JSON (V8 one-byte strings: a byte per character). */
const ENTRY_OVERHEAD = 64;

interface MemoryLog {
  readonly info: ResumableCallInfo;
  readonly limits: CallLogLimits;
  /** Kept entries from `head` on (trimmed ones before it are dropped from time to time). */
  entries: CallLogEntry[];
  head: number;
  bytes: number;
  ended: boolean;
  readonly followers: Set<(entry: CallLogEntry) => void>;
  onCancel?: () => void;
  onProgress?: (offset: number) => void;
  expiry?: NodeJS.Timeout;
}

/**
 * The default store: resumable calls' logs in this process's memory, for one instance. Each
 * log holds at most `maxBatches` batches and is dropped `retainMs` after its end; all logs
 * together hold at most `maxTotalBytes` of batch JSON (each batch costs its JSON's length plus
 * about 64 bytes), ended logs evicted first, then the oldest batches of running ones.
 * @publicApi
 */
export class MemoryCallStore implements CallStore {
  private readonly logs = new Map<string, MemoryLog>();
  private readonly maxTotalBytes: number;
  private totalBytes = 0;

  constructor(options: MemoryCallStoreOptions = {}) {
    this.maxTotalBytes = options.maxTotalBytes ?? 64 * 1024 * 1024;
  }

  create(info: ResumableCallInfo, limits: CallLogLimits): boolean {
    if (this.logs.has(info.callId)) return false;
    this.logs.set(info.callId, {
      info,
      limits,
      entries: [],
      head: 0,
      bytes: 0,
      ended: false,
      followers: new Set(),
    });
    return true;
  }

  info(callId: string): ResumableCallInfo | undefined {
    return this.logs.get(callId)?.info;
  }

  append(callId: string, entries: readonly CallLogEntry[]): void {
    const log = this.logs.get(callId);
    if (!log || log.ended) return;
    for (const entry of entries) {
      log.entries.push(entry);
      const cost = (entry.json?.length ?? 0) + ENTRY_OVERHEAD;
      log.bytes += cost;
      this.totalBytes += cost;
      if (entry.outcome) this.ended(log);
      for (const follower of log.followers) follower(entry);
    }
    while (log.entries.length - log.head > log.limits.maxBatches + (log.ended ? 1 : 0))
      this.trim(log);
    if (this.totalBytes > this.maxTotalBytes) this.evict();
  }

  read(callId: string, after: number): CallLogRead {
    const log = this.logs.get(callId);
    if (!log) throw new CallGoneError();
    const first = log.entries[log.head]?.offset ?? after + 1;
    // The entry right after `after` must still be here (or not written yet).
    if (first > after + 1) throw new CallGoneError();
    const entries: CallLogEntry[] = [];
    for (let i = log.head; i < log.entries.length; i++) {
      if (log.entries[i].offset > after) entries.push(log.entries[i]);
    }
    return { entries, ended: log.ended };
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
    if (log) Object.assign(log, { onCancel, onProgress });
    return () => {
      if (log?.onCancel === onCancel)
        Object.assign(log, { onCancel: undefined, onProgress: undefined });
    };
  }

  close(): void {
    for (const log of this.logs.values()) clearTimeout(log.expiry);
    this.logs.clear();
    this.totalBytes = 0;
  }

  private ended(log: MemoryLog): void {
    log.ended = true;
    log.expiry = setTimeout(() => this.drop(log), log.limits.retainMs);
    log.expiry.unref();
  }

  private drop(log: MemoryLog): void {
    clearTimeout(log.expiry);
    if (this.logs.get(log.info.callId) !== log) return;
    this.logs.delete(log.info.callId);
    this.totalBytes -= log.bytes;
  }

  /** Drops a log's oldest kept entry; compacts once the dropped part is as long as the rest. */
  private trim(log: MemoryLog): void {
    const entry = log.entries[log.head++];
    const cost = (entry.json?.length ?? 0) + ENTRY_OVERHEAD;
    log.bytes -= cost;
    this.totalBytes -= cost;
    if (log.head * 2 >= log.entries.length) {
      log.entries = log.entries.slice(log.head);
      log.head = 0;
    }
  }

  /** Over the total: ended logs go first (oldest first), then running logs' oldest batches. */
  private evict(): void {
    for (const log of this.logs.values()) {
      if (this.totalBytes <= this.maxTotalBytes) return;
      if (log.ended) this.drop(log);
    }
    for (const log of this.logs.values()) {
      while (this.totalBytes > this.maxTotalBytes && log.entries.length - log.head > 1)
        this.trim(log);
    }
  }
}
