import { Logger } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';

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

/**
 * One subscriber connection for every call this instance runs, a channel per call: what the
 * running instance hears (cancel requests, followers' progress) costs no connection per call.
 */
export class ControlChannels {
  private subscriber?: RedisClient;
  private readonly listeners = new Map<string, (message: string) => void>();

  constructor(private readonly redis: RedisClient) {}

  /**
   * Listens on `channel` until the returned function is called; `onListening` runs once the
   * subscription holds (messages published before it are not heard).
   */
  listen(
    channel: string,
    listener: (message: string) => void,
    onListening?: () => void,
  ): () => void {
    const subscriber = this.connect();
    this.listeners.set(channel, listener);
    subscriber
      .subscribe(channel)
      .then(() => {
        if (this.listeners.get(channel) === listener) onListening?.();
      })
      .catch(warn('subscribe'));
    return () => {
      if (this.listeners.get(channel) !== listener) return;
      this.listeners.delete(channel);
      if (subscriber.status !== 'end') subscriber.unsubscribe(channel).catch(warn('unsubscribe'));
    };
  }

  close(): void {
    this.listeners.clear();
    this.subscriber?.disconnect();
    this.subscriber = undefined;
  }

  private connect(): RedisClient {
    if (this.subscriber) return this.subscriber;
    // ioredis subscribes again by itself after a reconnect (autoResubscribe). In a cluster a
    // PUBLISH reaches every node, so the node this subscriber picked hears every channel.
    const subscriber = duplicateOf(this.redis, 'subscriber');
    subscriber.on('message', (channel: string, message: string) => {
      this.listeners.get(channel)?.(message);
    });
    return (this.subscriber = subscriber);
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
