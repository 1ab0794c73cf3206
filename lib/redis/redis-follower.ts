import { CallGoneError, CallLostError } from '../resume/call-errors';
import type { CallLogEntry } from '../resume/call-store';
import type { BlockingReaders, RedisClient } from './redis-connections';
import { warn } from './redis-connections';
import { entryId, followerBlockMs, parseEntry, progressMessage, type CallKeys } from './redis-keys';

/** Most entries one read brings: what a follower holds in memory at once. */
export const READ_COUNT = 100;

const ABORTED = Symbol('aborted');

/**
 * One `follow()` of a call that runs on another instance: the replay, then XREAD BLOCK on the
 * log until the terminal entry or the signal. Each entry is handed over once the previous one's
 * promise resolved (the reader's socket paces the follower). After each handled read, and on
 * each quiet wake-up, the follower publishes how far it got: the running instance counts it as
 * a reader (no linger, a paused handler goes on); it also says it is there every quarter
 * heartbeat while it follows, so that a client slow to take a long replay, or not reading at all
 * for a while, keeps the call as a reader here would. A quiet wake-up with no alive key means
 * the running instance died: `CallLostError`.
 */
export class RedisFollower {
  /** The last offset taken (or claimed by the client): what is reported, and what is skipped. */
  private last: number;
  /** The last offset read from the log: where XREAD goes on. */
  private cursor: number;

  /**
   * `logEnd`: the log's last offset when it was first read. A client may claim an offset past
   * it: the follower then reads on from the log's end, so that the terminal entry still comes.
   */
  constructor(
    private readonly redis: RedisClient,
    private readonly readers: BlockingReaders,
    private readonly keys: CallKeys,
    /** The running instance's channel (`runnerChannel`), where progress is reported. */
    private readonly runner: string,
    private readonly heartbeatMs: number,
    after: number,
    logEnd: number,
    private readonly onEntry: (entry: CallLogEntry) => Promise<void> | void,
    private readonly signal: AbortSignal,
  ) {
    this.last = after;
    this.cursor = Math.min(after, logEnd);
  }

  async follow(replay: readonly CallLogEntry[], ended: boolean): Promise<void> {
    // Present from the start, and while onEntry waits on a full socket (not a per-entry cost).
    this.report();
    const presence = setInterval(() => this.report(), followerBlockMs(this.heartbeatMs));
    presence.unref();
    try {
      if ((await this.take(replay)) || ended || this.signal.aborted) return;
      await this.readOn();
    } finally {
      clearInterval(presence);
    }
  }

  /** XREAD BLOCK from the last entry taken, until the terminal entry or the signal. */
  private async readOn(): Promise<void> {
    const reader = await this.readers.acquire(this.signal);
    // The client left while this follower waited for a connection.
    if (!reader) return;
    let blocked: Promise<unknown> | undefined;
    try {
      while (!this.signal.aborted) {
        const read = reader.connection.xread(
          'COUNT',
          READ_COUNT,
          'BLOCK',
          followerBlockMs(this.heartbeatMs),
          'STREAMS',
          this.keys.log,
          entryId(this.cursor),
        );
        const reply = await untilAborted(read, this.signal);
        if (reply === ABORTED) {
          // Resolve now; the connection goes back to the pool once its XREAD returns.
          blocked = read.catch(() => undefined);
          this.readers.unblock(reader);
          return;
        }
        const items = reply?.[0]?.[1] ?? [];
        if (items.length === 0) await this.checkAlive();
        else if (await this.take(items.map(parseEntry))) return;
      }
    } finally {
      if (blocked) void blocked.then(() => this.readers.release(reader));
      else this.readers.release(reader);
    }
  }

  /** Hands entries over one by one; true once the terminal entry (or the abort) came. */
  private async take(entries: readonly CallLogEntry[]): Promise<boolean> {
    if (entries.length === 0) return false;
    // Trimmed while this follower lagged: what comes next is no longer in the log.
    if (entries[0].offset > this.cursor + 1) throw new CallGoneError();
    this.cursor = entries[entries.length - 1].offset;
    for (const entry of entries) {
      // The terminal entry ends the follow also below `last` (a client may claim any offset).
      if (entry.offset <= this.last && !entry.outcome) continue;
      await this.onEntry(entry);
      this.last = Math.max(this.last, entry.offset);
      if (entry.outcome || this.signal.aborted) break;
    }
    this.report();
    return this.signal.aborted || entries[entries.length - 1].outcome !== undefined;
  }

  /**
   * A quiet wake-up: the call must still exist and be alive, unless the terminal entry came
   * meanwhile (it is appended and the alive key deleted in one script: one or the other shows).
   */
  private async checkAlive(): Promise<void> {
    const replies = await this.redis
      .pipeline()
      .exists(this.keys.meta)
      .exists(this.keys.alive)
      .xrange(this.keys.log, entryId(this.cursor + 1), '+', 'COUNT', 1)
      .exec();
    const [meta, alive, next] = (replies ?? []).map(([error, value]) => {
      if (error) throw error;
      return value;
    });
    if ((next as unknown[]).length > 0) return;
    if (meta === 0) throw new CallGoneError();
    if (alive === 0) throw new CallLostError();
  }

  /** Tells the running instance this follower is there, and how far it has read. */
  private report(): void {
    this.redis
      .publish(this.runner, progressMessage(this.keys.callId, this.last))
      .catch(warn('report'));
  }
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | typeof ABORTED> {
  if (signal.aborted) return Promise.resolve(ABORTED);
  return new Promise((resolve, reject) => {
    const abort = () => resolve(ABORTED);
    signal.addEventListener('abort', abort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', abort);
        resolve(value);
      },
      (error: Error) => {
        signal.removeEventListener('abort', abort);
        reject(error);
      },
    );
  });
}
