import { Logger } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import { parseRunnerMessage } from './redis-keys';

const logger = new Logger('Sijax');

/**
 * The app's ioredis client: one server (`Redis`) or a Redis Cluster (`Cluster`). A call's keys
 * share one slot (the call id is their hash tag), so each of the store's commands and pipelines
 * about one call goes to one node.
 */
export type RedisClient = Redis | Cluster;

/** A connection the store made itself: its errors are logged, not thrown at the app. */
function duplicateOf(redis: RedisClient, role: string): RedisClient {
  // The union's two duplicate() signatures do not unify; each returns its own kind.
  const connection: RedisClient = redis.isCluster
    ? (redis as Cluster).duplicate()
    : (redis as Redis).duplicate();
  connection.on('error', (error: Error) => {
    logger.warn(`RedisCallStore's ${role} connection: ${error.message}`);
  });
  return connection;
}

/** What a call running here hears on its instance's channel. */
interface CallListener {
  onCancel?: () => void;
  onProgress?: (offset: number) => void;
  /** A cancel heard before the call listened (between its create and its run). */
  cancelled: boolean;
}

/**
 * The channel of this instance (`runnerChannel`), on one subscriber connection: cancel requests
 * and followers' progress for every call running here, each message naming its call. One
 * subscription for the store's life, not one per call: a call's start and end cost no command.
 */
export class RunnerChannel {
  private subscriber?: RedisClient;
  private subscribed?: Promise<void>;
  private readonly calls = new Map<string, CallListener>();

  constructor(
    private readonly redis: RedisClient,
    readonly name: string,
  ) {}

  /**
   * Makes ready to hear `callId` before it is created, so that a cancel published once its meta
   * exists is not lost; resolves once the channel is subscribed. False when `callId` runs here
   * already (its id is taken).
   */
  async expect(callId: string): Promise<boolean> {
    if (this.calls.has(callId)) return false;
    this.calls.set(callId, { cancelled: false });
    try {
      await this.ready();
    } catch (error) {
      this.forget(callId);
      throw error;
    }
    return true;
  }

  /** Lets go of `callId`: nothing more is heard for it. */
  forget(callId: string): void {
    this.calls.delete(callId);
  }

  /**
   * Hands `callId`'s messages to these callbacks until `forget`; a cancel heard since `expect`
   * is handed over at once (on the next tick: the caller is still setting the call up).
   */
  listen(callId: string, onCancel: () => void, onProgress: (offset: number) => void): void {
    const listener = this.calls.get(callId);
    const cancelled = listener?.cancelled ?? false;
    const heard: CallListener = { onCancel, onProgress, cancelled: false };
    this.calls.set(callId, heard);
    if (cancelled) {
      process.nextTick(() => {
        if (this.calls.get(callId) === heard) onCancel();
      });
    }
  }

  close(): void {
    this.calls.clear();
    this.subscriber?.disconnect();
    this.subscriber = undefined;
    this.subscribed = undefined;
  }

  private ready(): Promise<void> {
    return (this.subscribed ??= this.subscribe());
  }

  private async subscribe(): Promise<void> {
    // ioredis subscribes again by itself after a reconnect (autoResubscribe). In a cluster a
    // PUBLISH reaches every node, so the node this subscriber picked hears the channel.
    const subscriber = duplicateOf(this.redis, 'subscriber');
    this.subscriber = subscriber;
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.name) this.hear(message);
    });
    try {
      await subscriber.subscribe(this.name);
    } catch (error) {
      // The next call tries again, on a connection of its own.
      if (this.subscriber === subscriber) {
        this.subscriber = undefined;
        this.subscribed = undefined;
      }
      subscriber.disconnect();
      throw error;
    }
  }

  private hear(raw: string): void {
    const message = parseRunnerMessage(raw);
    if (!message) return;
    const listener = this.calls.get(message.callId);
    if (!listener) return;
    if (!message.cancel) return listener.onProgress?.(message.progress);
    if (listener.onCancel) listener.onCancel();
    else listener.cancelled = true;
  }
}

/**
 * A connection that a follower blocks on (XREAD BLOCK), and its id for CLIENT UNBLOCK (one
 * server only: in a cluster the blocked node's connection has an id no public API tells).
 */
export interface BlockingReader {
  readonly connection: RedisClient;
  id?: number;
}

/** Idle blocking connections kept for the next follower; more are closed when released. */
const MAX_IDLE = 8;

/**
 * The connections followers block on: a blocked XREAD holds its connection, so each follower
 * has one while it follows, taken from (and given back to) a small pool. At most `max` at once:
 * followers are clients' connections, and Redis's own `maxclients` is shared by every instance
 * (used up, appends everywhere would fail); the followers beyond it wait, first come first
 * served, for one to be given back.
 */
export class BlockingReaders {
  private readonly idle: BlockingReader[] = [];
  private readonly all = new Set<BlockingReader>();
  private readonly waiting: ((reader: BlockingReader | undefined) => void)[] = [];
  private closed = false;

  constructor(
    private readonly redis: RedisClient,
    private readonly max: number,
  ) {}

  /** A connection to block on, or undefined when `signal` aborted (or the pool closed) first. */
  async acquire(signal: AbortSignal): Promise<BlockingReader | undefined> {
    if (this.closed) throw new Error('RedisCallStore is closed');
    const idle = this.idle.pop();
    if (idle) return idle;
    if (this.all.size < this.max) return this.open();
    if (signal.aborted) return undefined;
    return new Promise((resolve) => {
      const served = (reader: BlockingReader | undefined) => {
        signal.removeEventListener('abort', left);
        // A connection opened for this waiter after its client left goes back to the pool.
        if (reader && signal.aborted) return this.release(reader);
        resolve(reader);
      };
      const left = () => {
        const at = this.waiting.indexOf(served);
        if (at >= 0) this.waiting.splice(at, 1);
        resolve(undefined);
      };
      this.waiting.push(served);
      signal.addEventListener('abort', left, { once: true });
    });
  }

  release(reader: BlockingReader): void {
    const usable = !this.closed && reader.connection.status === 'ready';
    const next = usable ? this.waiting.shift() : undefined;
    if (next) return next(reader);
    if (usable && this.idle.length < MAX_IDLE) return void this.idle.push(reader);
    this.all.delete(reader);
    reader.connection.disconnect();
    // A connection that failed is replaced for whoever waits.
    const waiter = this.closed ? undefined : this.waiting.shift();
    if (waiter) this.open().then(waiter, () => waiter(undefined));
  }

  /**
   * Ends the reader's blocked XREAD now: it answers as if it had timed out, or, with no id to
   * unblock (a cluster), fails as its connection closes, which `release()` then drops.
   */
  unblock(reader: BlockingReader): void {
    if (reader.id === undefined) reader.connection.disconnect();
    else this.redis.client('UNBLOCK', reader.id).catch(warn('unblock'));
  }

  close(): void {
    this.closed = true;
    for (const reader of this.all) reader.connection.disconnect();
    this.all.clear();
    this.idle.length = 0;
    for (const waiter of this.waiting.splice(0)) waiter(undefined);
  }

  private async open(): Promise<BlockingReader> {
    const reader: BlockingReader = { connection: duplicateOf(this.redis, 'blocking reader') };
    this.all.add(reader);
    if (this.redis.isCluster) return reader;
    // A reconnect gives the connection another id: learn it again.
    reader.connection.on('ready', () => void this.learnId(reader));
    await this.learnId(reader);
    return reader;
  }

  private async learnId(reader: BlockingReader): Promise<void> {
    try {
      reader.id = await reader.connection.client('ID');
    } catch {
      reader.id = undefined;
    }
  }
}

export function warn(what: string): (error: Error) => void {
  return (error) => logger.warn(`RedisCallStore could not ${what}: ${error.message}`);
}
