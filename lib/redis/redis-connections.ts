import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';

const logger = new Logger('Sijax');

/** A connection the store made itself: its errors are logged, not thrown at the app. */
function duplicateOf(redis: Redis, role: string): Redis {
  const connection = redis.duplicate();
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
  private subscriber?: Redis;
  private readonly listeners = new Map<string, (message: string) => void>();

  constructor(private readonly redis: Redis) {}

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

  private connect(): Redis {
    if (this.subscriber) return this.subscriber;
    // ioredis subscribes again by itself after a reconnect (autoResubscribe).
    const subscriber = duplicateOf(this.redis, 'subscriber');
    subscriber.on('message', (channel: string, message: string) => {
      this.listeners.get(channel)?.(message);
    });
    return (this.subscriber = subscriber);
  }
}

/** A connection that a follower blocks on (XREAD BLOCK), and its id for CLIENT UNBLOCK. */
export interface BlockingReader {
  readonly connection: Redis;
  id?: number;
}

/** Idle blocking connections kept for the next follower; more are closed when released. */
const MAX_IDLE = 8;

/**
 * The connections followers block on: a blocked XREAD holds its connection, so each follower
 * has one while it follows, taken from (and given back to) a small pool.
 */
export class BlockingReaders {
  private readonly idle: BlockingReader[] = [];
  private readonly all = new Set<BlockingReader>();
  private closed = false;

  constructor(private readonly redis: Redis) {}

  async acquire(): Promise<BlockingReader> {
    if (this.closed) throw new Error('RedisCallStore is closed');
    const idle = this.idle.pop();
    if (idle) return idle;
    const reader: BlockingReader = { connection: duplicateOf(this.redis, 'blocking reader') };
    this.all.add(reader);
    // A reconnect gives the connection another id: learn it again.
    reader.connection.on('ready', () => void this.learnId(reader));
    await this.learnId(reader);
    return reader;
  }

  release(reader: BlockingReader): void {
    if (this.closed || this.idle.length >= MAX_IDLE || reader.connection.status !== 'ready') {
      this.all.delete(reader);
      reader.connection.disconnect();
    } else this.idle.push(reader);
  }

  /** Ends the reader's blocked XREAD now (it answers as if it had timed out). */
  unblock(reader: BlockingReader): void {
    if (reader.id === undefined) return;
    this.redis.client('UNBLOCK', reader.id).catch(warn('unblock'));
  }

  close(): void {
    this.closed = true;
    for (const reader of this.all) reader.connection.disconnect();
    this.all.clear();
    this.idle.length = 0;
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
