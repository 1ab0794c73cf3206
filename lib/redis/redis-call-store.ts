import { randomBytes } from 'crypto';
import { CallGoneError } from '../resume/call-errors';
import type {
  CallLogEntry,
  CallLogLimits,
  CallLogRead,
  CallStore,
  ResumableCallInfo,
} from '../resume/call-store';
import { SIJAX_DEFAULTS } from '../sijax.constants';
import { AppendQueue, scriptCommand, xaddCommand } from './redis-append.script';
import { BlockingReaders, RunnerChannel, warn, type RedisClient } from './redis-connections';
import { READ_COUNT, RedisFollower } from './redis-follower';
import {
  aliveTtlMs,
  batchJson,
  callKeys,
  cancelMessage,
  entryId,
  parseEntry,
  parseMeta,
  pushEntryArgs,
  runnerChannel,
  runningTtlMs,
  type CallKeys,
  type CallMeta,
} from './redis-keys';

/** A call running on this instance, as its appends and refreshes need it. */
interface RunningCall {
  readonly limits: CallLogLimits;
  /** The log's, the meta's and the alive key: what the append script may touch. */
  readonly appendKeys: readonly string[];
}

const appendKeysOf = ({ log, meta, alive }: CallKeys): readonly string[] => [log, meta, alive];

/** @publicApi */
export interface RedisCallStoreOptions {
  /** Starts every key and channel name; no braces (the call id is the hash tag). @default 'sijax:' */
  keyPrefix?: string;
  /**
   * Most connections this store blocks on at once, one per call followed here that runs
   * elsewhere: followers beyond it wait for one (their streams stay open). Keep the sum over
   * your instances under Redis's `maxclients` (10,000 by default). @default 256
   */
  maxFollowConnections?: number;
}

/**
 * Resumable calls' logs in Redis (5.0+, streams), shared by every instance of the app: a call
 * started on one instance can be resumed, attached to or cancelled through any other. Built on
 * the app's own ioredis client, of one server (`Redis`) or of a Redis Cluster (`Cluster`); the
 * store adds a subscriber connection (once a call runs here) and one blocking connection per
 * call followed here that runs elsewhere (`maxFollowConnections` at most; a few are kept idle
 * for reuse), and `close()` closes only those. Close it after the app (the module does not).
 *
 * Per call, all hash-tagged by the call id (one Cluster slot): `<prefix>{id}:meta`, a string
 * (the call's info and limits as JSON, and the channel of the instance that runs it, ~250
 * bytes); `<prefix>{id}:log`, a stream of at most `maxBatches` batches plus the terminal entry,
 * each about its JSON's length plus ~20 bytes (entry ids are the offsets); `<prefix>{id}:alive`
 * while the call runs. While the call runs its keys are refreshed every heartbeat, so they never
 * expire; after the terminal entry (or the running instance's death) they go `retainMs` later.
 * Use a `maxmemory-policy` that evicts no running log (`noeviction` or `volatile-*`). Per
 * instance (per store): the pub/sub channel `<prefix>runner:<random id>`, on which it hears
 * cancel requests and followers' progress for every call it runs.
 *
 * Costs: a batch (or every batch that piled up while the previous append was answered) is one
 * round trip, one command: an XADD (exact MAXLEN: trims one entry once full), or for several
 * entries, the first batch and the terminal entry a script (EVALSHA) that runs an XADD each and
 * sets expiries (at the end two PEXPIREs and a DEL). The appends that the calls running here
 * make in one tick share one socket write (a pipeline; not in a cluster, see `AppendQueue`). A
 * running call refreshes its keys once per heartbeat (one pipeline of three commands); its
 * start and end cost no pub/sub command (the instance's channel is subscribed once, by its
 * first call). A follower elsewhere costs an XREAD and a PUBLISH (its progress) per read, and,
 * while the call says nothing, one XREAD timeout and a three-command pipeline per quarter
 * heartbeat; a cancel request, a GET and a PUBLISH.
 * @publicApi
 */
export class RedisCallStore implements CallStore {
  private readonly prefix: string;
  private readonly channel: RunnerChannel;
  private readonly readers: BlockingReaders;
  private readonly appends: AppendQueue;
  /**
   * The calls running here: their limits (the meta has them too) and their append's keys, made
   * once, for their appends and refreshes.
   */
  private readonly running = new Map<string, RunningCall>();
  private readonly refreshes = new Set<NodeJS.Timeout>();

  constructor(
    private readonly redis: RedisClient,
    options: RedisCallStoreOptions = {},
  ) {
    this.prefix = options.keyPrefix ?? 'sijax:';
    if (/[{}]/.test(this.prefix)) throw new Error('RedisCallStore: keyPrefix must have no braces');
    // 96 random bits: no two instances share a channel.
    this.channel = new RunnerChannel(
      redis,
      runnerChannel(this.prefix, randomBytes(12).toString('base64url')),
    );
    const maxFollowConnections =
      options.maxFollowConnections ?? SIJAX_DEFAULTS.maxFollowConnections;
    if (!Number.isInteger(maxFollowConnections) || maxFollowConnections < 1) {
      throw new Error('RedisCallStore: maxFollowConnections must be a whole number, 1 or more');
    }
    this.readers = new BlockingReaders(redis, maxFollowConnections);
    this.appends = new AppendQueue(redis);
  }

  async create(info: ResumableCallInfo, limits: CallLogLimits): Promise<boolean> {
    const { callId } = info;
    // Heard from before the meta exists: a cancel sent as soon as it does is not lost.
    if (!(await this.channel.expect(callId))) return false;
    const meta: CallMeta = { info, limits, runner: this.channel.name };
    const keys = this.keys(callId);
    let set: string | null;
    try {
      // SET NX: atomic, the id is taken or not. The TTL is refreshed while the call runs.
      set = await this.redis.set(keys.meta, JSON.stringify(meta), 'PX', runningTtlMs(limits), 'NX');
    } catch (error) {
      this.channel.forget(callId);
      throw error;
    }
    if (set !== 'OK') {
      this.channel.forget(callId);
      return false;
    }
    this.running.set(callId, { limits, appendKeys: appendKeysOf(keys) });
    return true;
  }

  async info(callId: string): Promise<ResumableCallInfo | undefined> {
    return (await this.meta(this.keys(callId)))?.info;
  }

  append(callId: string, entries: readonly CallLogEntry[]): Promise<unknown> {
    if (entries.length === 0) return Promise.resolve();
    // Read now: the run may let go of the call (run()'s release) in this tick. A call running
    // here appends with no await of its own (one promise per batch, the command's).
    const running = this.running.get(callId);
    if (running) return this.appendTo(callId, running.limits, running.appendKeys, entries);
    const keys = this.keys(callId);
    return this.meta(keys).then((meta) =>
      // Unknown or expired: nothing to add to, as in memory.
      meta ? this.appendTo(callId, meta.limits, appendKeysOf(keys), entries) : undefined,
    );
  }

  async read(callId: string, after: number, limit?: number): Promise<CallLogRead> {
    const { entries, ended } = await this.readLog(this.keys(callId), after, limit);
    return { entries, ended };
  }

  async follow(
    callId: string,
    after: number,
    onEntry: (entry: CallLogEntry) => Promise<void> | void,
    signal: AbortSignal,
  ): Promise<void> {
    const keys = this.keys(callId);
    // A page to begin with: the follower reads on as its client takes them.
    const { meta, entries, ended, lastOffset } = await this.readLog(keys, after, READ_COUNT);
    const { heartbeatMs } = meta.limits;
    const follower = new RedisFollower(
      this.redis,
      this.readers,
      keys,
      meta.runner,
      heartbeatMs,
      after,
      lastOffset,
      onEntry,
      signal,
    );
    // Ended, and all of it in this page: nothing to wait for after it.
    await follower.follow(entries, ended && entries.length < READ_COUNT);
  }

  async requestCancel(callId: string): Promise<void> {
    // An unknown or expired call has no one to tell; one that exists is heard (see create()).
    const meta = await this.meta(this.keys(callId));
    if (meta) await this.redis.publish(meta.runner, cancelMessage(callId));
  }

  run(callId: string, onCancel: () => void, onProgress: (offset: number) => void): () => void {
    const keys = this.keys(callId);
    const limits = this.running.get(callId)?.limits;
    const heartbeatMs = limits?.heartbeatMs ?? SIJAX_DEFAULTS.heartbeatMs;
    const refresh = () => {
      const pipeline = this.redis.pipeline().set(keys.alive, '1', 'PX', aliveTtlMs(heartbeatMs));
      if (limits) {
        const ttl = runningTtlMs(limits);
        pipeline.pexpire(keys.meta, ttl).pexpire(keys.log, ttl);
      }
      pipeline.exec().catch(warn('refresh a running call'));
    };
    refresh();
    const timer = setInterval(refresh, heartbeatMs);
    timer.unref();
    this.refreshes.add(timer);
    this.channel.listen(callId, onCancel, onProgress);
    return () => {
      // The alive key is left to expire: a terminal entry still on its way deletes it.
      clearInterval(timer);
      this.refreshes.delete(timer);
      this.channel.forget(callId);
      this.running.delete(callId);
    };
  }

  close(): void {
    for (const timer of this.refreshes) clearInterval(timer);
    this.refreshes.clear();
    this.running.clear();
    this.channel.close();
    this.readers.close();
  }

  private appendTo(
    callId: string,
    limits: CallLogLimits,
    keys: readonly string[],
    entries: readonly CallLogEntry[],
  ): Promise<unknown> {
    const first = entries[0];
    if (entries.length === 1 && first.offset > 1 && first.outcome === undefined) {
      const command = xaddCommand(
        keys[0],
        limits.maxBatches,
        entryId(first.offset),
        batchJson(first),
      );
      return this.appends.append(command);
    }
    const entryArgs: string[] = [];
    for (let i = 0; i < entries.length; i++) pushEntryArgs(entryArgs, entries[i]);
    const ended = entries[entries.length - 1].outcome !== undefined;
    if (ended) this.running.delete(callId);
    // The first append creates the log: it gets a TTL now, should the instance die before a
    // refresh gives it one.
    const kind = ended ? 'end' : first.offset === 1 ? 'first' : '';
    const ttlMs = ended ? limits.retainMs : runningTtlMs(limits);
    return this.appends.append(scriptCommand(keys, limits.maxBatches, kind, ttlMs, entryArgs));
  }

  private keys(callId: string): CallKeys {
    return callKeys(this.prefix, callId);
  }

  private async meta(keys: CallKeys): Promise<CallMeta | undefined> {
    return parseMeta(await this.redis.get(keys.meta));
  }

  /**
   * The meta and the entries after `after` (the first `limit`), in one round trip; rejects as
   * `read()` does.
   */
  private async readLog(
    keys: CallKeys,
    after: number,
    limit?: number,
  ): Promise<CallLogRead & { meta: CallMeta; lastOffset: number }> {
    const pipeline = this.redis.pipeline().get(keys.meta);
    if (limit === undefined || !Number.isFinite(limit))
      pipeline.xrange(keys.log, entryId(after + 1), '+');
    else
      pipeline.xrange(keys.log, entryId(after + 1), '+', 'COUNT', Math.max(1, Math.floor(limit)));
    const replies = await pipeline.xrevrange(keys.log, '+', '-', 'COUNT', 1).exec();
    const [json, range, last] = (replies ?? []).map(([error, value]) => {
      if (error) throw error;
      return value;
    }) as [string | null, [string, string[]][], [string, string[]][]];
    const meta = parseMeta(json);
    if (!meta) throw new CallGoneError();
    const entries = range.map(parseEntry);
    // The entry right after `after` must still be there (or not written yet).
    if (entries.length > 0 && entries[0].offset > after + 1) throw new CallGoneError();
    const newest = last.length > 0 ? parseEntry(last[0]) : undefined;
    return {
      meta,
      entries,
      ended: newest?.outcome !== undefined,
      lastOffset: newest?.offset ?? 0,
    };
  }
}
