import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { RedisCallStore, type RedisClient } from '../../lib/redis';
import type { CallLogEntry, CallLogLimits, CallStore } from '../../lib/resume/call-store';
import { MemoryCallStore } from '../../lib/resume/memory-call-store';
import {
  startRedis,
  startRedisCluster,
  type TestRedis,
  type TestRedisCluster,
} from '../utils/redis-server';

/** A store under test as one instance sees it; `other` plays an instance that follows. */
export interface Subject {
  name: string;
  stores(): { store: CallStore; other: CallStore };
  /** Resolves once `run()`'s listening is in place (Redis subscribes asynchronously). */
  listening(callId: string): Promise<void>;
  /** Whether a follower can outlive the running instance and tell (not in one process). */
  remote: boolean;
}

/**
 * A redis-server for the spec file (and with `cluster`, a three-node Redis Cluster too),
 * clients and stores closed after each test.
 */
export interface RedisFixture {
  client(): Redis;
  /** A client of the cluster; only with `useRedis({ cluster: true })`. */
  clusterClient(): Cluster;
  /** A client of each of the cluster's masters. */
  clusterNodes(): Redis[];
  track<T extends CallStore>(store: T): T;
  subjects: Subject[];
}

export function useRedis({ cluster = false } = {}): RedisFixture {
  let redis: TestRedis | undefined;
  let redisCluster: TestRedisCluster | undefined;
  const clients: RedisClient[] = [];
  const opened: CallStore[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    if (cluster) redisCluster = await startRedisCluster();
  }, 60_000);

  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close?.();
    for (const made of clients.splice(0)) made.disconnect();
  });

  afterAll(async () => {
    await redis?.stop();
    await redisCluster?.stop();
  });

  const made = <T extends RedisClient>(client: T): T => {
    clients.push(client);
    return client;
  };
  const client = (): Redis => made(redis!.client());
  const clusterClient = (): Cluster => {
    if (!redisCluster) throw new Error('useRedis({ cluster: true }) starts the cluster');
    return made(redisCluster.client());
  };
  const clusterNodes = (): Redis[] => redisCluster!.nodes().map(made);
  /**
   * Polls until someone listens on the channel of the instance that runs the call (its meta
   * names it), on any of `nodes`.
   */
  const untilListening = async (nodes: Redis[], callId: string): Promise<void> => {
    for (;;) {
      for (const node of nodes) {
        const json = await node.get(`sijax:{${callId}}:meta`).catch(() => null);
        const channel = json && (JSON.parse(json) as { runner?: string }).runner;
        if (!channel) continue;
        for (const other of nodes) {
          const [, count] = (await other.pubsub('NUMSUB', channel)) as [string, number];
          if (count > 0) return;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  const track = <T extends CallStore>(store: T): T => {
    opened.push(store);
    return store;
  };
  const subjects: Subject[] = [
    {
      name: 'MemoryCallStore',
      stores() {
        const store = track(new MemoryCallStore());
        return { store, other: store };
      },
      listening: async () => undefined,
      remote: false,
    },
    {
      name: 'RedisCallStore',
      stores: () => ({
        store: track(new RedisCallStore(client())),
        other: track(new RedisCallStore(client())),
      }),
      listening: (callId) => untilListening([client()], callId),
      remote: true,
    },
  ];
  if (cluster) {
    subjects.push({
      name: 'RedisCallStore on a Redis Cluster',
      stores: () => ({
        store: track(new RedisCallStore(clusterClient())),
        other: track(new RedisCallStore(clusterClient())),
      }),
      // A node counts only its own subscribers: the store's is on one of them.
      listening: (callId) => untilListening(clusterNodes(), callId),
      remote: true,
    });
  }
  return { client, clusterClient, clusterNodes, track, subjects };
}

export const newId = (): string => randomBytes(16).toString('base64url');
export const limitsOf = (overrides: Partial<CallLogLimits> = {}): CallLogLimits => ({
  maxBatches: 100,
  retainMs: 60_000,
  heartbeatMs: 15_000,
  ...overrides,
});
export const batch = (offset: number): CallLogEntry => ({ offset, json: `[{"n":${offset}}]` });
export const batches = (from: number, to: number): CallLogEntry[] =>
  Array.from({ length: to - from + 1 }, (_, i) => batch(from + i));
export const offsets = (entries: readonly CallLogEntry[]): number[] =>
  entries.map((entry) => entry.offset);
/** Rejections, whether the store throws or rejects. */
export const settle = <T>(work: () => Promise<T> | T): Promise<T> => Promise.resolve().then(work);

/** Polls an async check (no fixed sleeps): every 10 ms until it holds or the time is up. */
export async function pollUntil(check: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
