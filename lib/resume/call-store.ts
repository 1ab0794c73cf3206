import type { CallOutcome } from '../core/call';

/**
 * One entry of a resumable call's log: a batch (its commands' JSON) or the terminal entry, which
 * says how the call ended. Offsets count batches from 1, one by one; the terminal entry takes the
 * next one.
 * @publicApi
 */
export interface CallLogEntry {
  readonly offset: number;
  /** The batch: a JSON array of commands, on one line (as `JSON.stringify` writes it). */
  readonly json?: string;
  /** Set on the terminal entry only. */
  readonly outcome?: CallOutcome;
}

/**
 * What a store keeps of a resumable call besides its log.
 * @publicApi
 */
export interface ResumableCallInfo {
  readonly callId: string;
  /** The public name of the function the call runs (its guards run again on attach and cancel). */
  readonly name: string;
  /** Who may resume, attach and cancel: `resume.owner(request)` of the call's request. */
  readonly owner?: string;
}

/** How much a store keeps of each call, from the module's `resume` options. */
export interface CallLogLimits {
  /** Most batches the log holds; older ones are trimmed. */
  readonly maxBatches: number;
  /** How long a log is kept after its terminal entry, in ms. */
  readonly retainMs: number;
  /**
   * The module's heartbeat period (ms): a store that serves followers on other instances marks
   * a running call alive at least this often, and a follower gives up (`CallLostError`) after
   * three periods without a sign of life.
   */
  readonly heartbeatMs: number;
}

/** What `read()` answers: the entries the log holds after an offset. */
export interface CallLogRead {
  readonly entries: CallLogEntry[];
  /**
   * The call has ended: the terminal entry is among `entries` or before them, or after them in
   * a page that `limit` cut short.
   */
  readonly ended: boolean;
}

/**
 * Where resumable calls' logs live: `MemoryCallStore` on one instance (the default),
 * `RedisCallStore` (`nestjs-sijax/redis`) across instances. Methods may answer synchronously.
 * @publicApi
 */
export interface CallStore {
  /** Starts the log of a new call; false when the id is taken (the call exists). */
  create(info: ResumableCallInfo, limits: CallLogLimits): Promise<boolean> | boolean;
  /** The call's info, or undefined when unknown or expired. */
  info(callId: string): Promise<ResumableCallInfo | undefined> | ResumableCallInfo | undefined;
  /**
   * Appends entries, in offset order; the terminal entry comes last, once. Resolves (with
   * anything: the caller reads no value) once they are stored.
   */
  append(callId: string, entries: readonly CallLogEntry[]): Promise<unknown> | void;
  /**
   * The entries after `after`, in order; the first `limit` of them when given (a replay reads
   * the log a page at a time, as its client takes it; a store may give more). Rejects with
   * `CallGoneError` when the call is unknown or expired, or when the log no longer holds the
   * entry right after `after` (trimmed).
   */
  read(callId: string, after: number, limit?: number): Promise<CallLogRead> | CallLogRead;
  /**
   * Follows a call that runs on another instance, or has ended: `onEntry` for each entry after
   * `after`, until the terminal one or `signal`, each once the previous one's promise resolved
   * (the client's socket paces it). Reads the log a page at a time as it goes, not all of it
   * for a slow client, and counts as a reader for the running instance meanwhile (`run()`'s
   * `onProgress`). A client may claim an offset past the log: what follows it still comes, and
   * the terminal entry. Rejects with `CallGoneError` as `read` does (also when the log was
   * trimmed past a follower that lagged: never a silent gap), and with `CallLostError` when the
   * instance running it stopped answering.
   */
  follow(
    callId: string,
    after: number,
    onEntry: (entry: CallLogEntry) => Promise<void> | void,
    signal: AbortSignal,
  ): Promise<void>;
  /** Asks whichever instance runs the call to cancel it. */
  requestCancel(callId: string): Promise<void> | void;
  /**
   * The running instance's side, from the call's start to its end (the returned function):
   * `onCancel` hears `requestCancel`, `onProgress` hears how far followers elsewhere have read
   * (they count as readers: the call does not linger alone). The store may also mark the call
   * alive for those followers.
   */
  run(callId: string, onCancel: () => void, onProgress: (offset: number) => void): () => void;
  /** Lets go of connections and timers. */
  close?(): Promise<void> | void;
}
