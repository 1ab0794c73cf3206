import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisCallStore } from '../../lib/redis';
import { CallGoneError, CallLostError } from '../../lib/resume/call-errors';
import type { CallLogEntry, CallLogLimits, CallStore } from '../../lib/resume/call-store';
import { MemoryCallStore } from '../../lib/resume/memory-call-store';
import { Latch, until } from '../utils/latch';
import { startRedis, type TestRedis } from '../utils/redis-server';

/**
 * What every CallStore promises (call-store.ts), checked on the in-memory store and on Redis.
 * `store` plays the instance that runs a call, `other` an instance that follows it: a second
 * RedisCallStore on its own connection, or the same MemoryCallStore (it has no other instance).
 */
interface Subject {
  name: string;
  stores(): { store: CallStore; other: CallStore };
  /** Resolves once `run()`'s listening is in place (Redis subscribes asynchronously). */
  listening(callId: string): Promise<void>;
  /** Whether a follower can outlive the running instance and tell (not in one process). */
  remote: boolean;
}

let redis: TestRedis;
const clients: Redis[] = [];
const opened: CallStore[] = [];

beforeAll(async () => {
  redis = await startRedis();
}, 30_000);

afterEach(async () => {
  for (const store of opened.splice(0)) await store.close?.();
  for (const client of clients.splice(0)) client.disconnect();
});

afterAll(async () => {
  await redis?.stop();
});

function client(): Redis {
  const made = redis.client();
  clients.push(made);
  return made;
}

const subjects: Subject[] = [
  {
    name: 'MemoryCallStore',
    stores() {
      const store = new MemoryCallStore();
      opened.push(store);
      return { store, other: store };
    },
    listening: async () => undefined,
    remote: false,
  },
  {
    name: 'RedisCallStore',
    stores() {
      const store = new RedisCallStore(client());
      const other = new RedisCallStore(client());
      opened.push(store, other);
      return { store, other };
    },
    async listening(callId) {
      const probe = client();
      const channel = `sijax:{${callId}}:control`;
      for (;;) {
        const [, count] = (await probe.pubsub('NUMSUB', channel)) as [string, number];
        if (count > 0) return;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
    remote: true,
  },
];

const newId = () => randomBytes(16).toString('base64url');
const limitsOf = (overrides: Partial<CallLogLimits> = {}): CallLogLimits => ({
  maxBatches: 100,
  retainMs: 60_000,
  heartbeatMs: 15_000,
  ...overrides,
});
const batch = (offset: number): CallLogEntry => ({ offset, json: `[{"n":${offset}}]` });
const batches = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => batch(from + i));
const offsets = (entries: readonly CallLogEntry[]) => entries.map((entry) => entry.offset);
/** Rejections, whether the store throws or rejects. */
const settle = <T>(work: () => Promise<T> | T): Promise<T> => Promise.resolve().then(work);

describe.each(subjects)('CallStore contract: $name', (subject) => {
  let store: CallStore;
  let other: CallStore;

  beforeEach(() => ({ store, other } = subject.stores()));

  async function created(overrides: Partial<CallLogLimits> = {}): Promise<string> {
    const callId = newId();
    expect(await store.create({ callId, name: 'job', owner: 'ann' }, limitsOf(overrides))).toBe(
      true,
    );
    return callId;
  }

  it('creates a call once: a second create of the id answers false', async () => {
    const callId = await created();
    expect(await store.create({ callId, name: 'other' }, limitsOf())).toBe(false);
    expect(await other.info(callId)).toEqual({ callId, name: 'job', owner: 'ann' });
    expect(await other.info(newId())).toBeUndefined();
  });

  it('reads entries in order, after any offset, and tells the end', async () => {
    const callId = await created();
    await store.append(callId, batches(1, 2));
    await store.append(callId, [batch(3)]);
    expect(await other.read(callId, 0)).toEqual({ entries: batches(1, 3), ended: false });
    expect(await other.read(callId, 2)).toEqual({ entries: [batch(3)], ended: false });
    await store.append(callId, [batch(4), { offset: 5, outcome: 'end' }]);
    expect(await other.read(callId, 3)).toEqual({
      entries: [batch(4), { offset: 5, outcome: 'end' }],
      ended: true,
    });
    // The terminal entry before `after` still says the call has ended.
    expect(await other.read(callId, 5)).toEqual({ entries: [], ended: true });
    await expect(settle(() => other.read(newId(), 0))).rejects.toBeInstanceOf(CallGoneError);
  });

  it('rejects a read whose next entry was trimmed with CallGoneError', async () => {
    const callId = await created({ maxBatches: 3 });
    await store.append(callId, batches(1, 4));
    await store.append(callId, [batch(5)]);
    for (const after of [0, 1]) {
      await expect(settle(() => other.read(callId, after))).rejects.toBeInstanceOf(CallGoneError);
    }
    expect(offsets((await other.read(callId, 2)).entries)).toEqual([3, 4, 5]);
    // The terminal entry does not push out the last batches.
    await store.append(callId, [{ offset: 6, outcome: 'end' }]);
    expect(offsets((await other.read(callId, 2)).entries)).toEqual([3, 4, 5, 6]);
  });

  it('drops an ended call retainMs after its terminal entry', async () => {
    const callId = await created({ retainMs: 300, heartbeatMs: 100 });
    const release = store.run(
      callId,
      () => undefined,
      () => undefined,
    );
    await store.append(callId, [batch(1)]);
    await store.append(callId, [{ offset: 2, outcome: 'end' }]);
    const endedAt = Date.now();
    release();
    expect(await other.info(callId)).toBeDefined();
    expect((await other.read(callId, 0)).ended).toBe(true);
    await pollUntil(async () => (await other.info(callId)) === undefined, 5000, 'the expiry');
    expect(Date.now() - endedAt).toBeGreaterThanOrEqual(250);
    await expect(settle(() => other.read(callId, 0))).rejects.toBeInstanceOf(CallGoneError);
  });

  it('follows: the replay, then live entries, each after the previous one was taken, to the end', async () => {
    const callId = await created();
    const release = store.run(
      callId,
      () => undefined,
      () => undefined,
    );
    await store.append(callId, batches(1, 2));
    const seen: CallLogEntry[] = [];
    const held = new Latch();
    const following = other.follow(
      callId,
      0,
      (entry) => {
        seen.push(entry);
        // Entry 3 is held: nothing more may come until it is taken.
        return entry.offset === 3 ? held.promise : undefined;
      },
      new AbortController().signal,
    );
    await until(() => seen.length === 2, 5000, 'the replay');
    await store.append(callId, [batch(3)]);
    await store.append(callId, [batch(4)]);
    await until(() => seen.length === 3, 5000, 'a live entry');
    await store.append(callId, [{ offset: 5, outcome: 'end' }]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(offsets(seen)).toEqual([1, 2, 3]);
    held.open();
    await following;
    expect(seen).toEqual([...batches(1, 4), { offset: 5, outcome: 'end' }]);
    release();
  });

  it('stops following at once when the signal aborts', async () => {
    const callId = await created({ heartbeatMs: 20_000 });
    const release = store.run(
      callId,
      () => undefined,
      () => undefined,
    );
    await store.append(callId, [batch(1)]);
    const seen: CallLogEntry[] = [];
    const controller = new AbortController();
    const following = other.follow(callId, 0, (entry) => void seen.push(entry), controller.signal);
    await until(() => seen.length === 1, 5000, 'the replay');
    // Give a blocked read time to block.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const abortedAt = Date.now();
    controller.abort();
    await following;
    expect(Date.now() - abortedAt).toBeLessThan(200);
    await store.append(callId, [batch(2)]);
    expect(offsets(seen)).toEqual([1]);
    release();
  });

  it('rejects a follow of an unknown call, or from a trimmed offset, with CallGoneError', async () => {
    const signal = new AbortController().signal;
    await expect(other.follow(newId(), 0, () => undefined, signal)).rejects.toBeInstanceOf(
      CallGoneError,
    );
    const callId = await created({ maxBatches: 2 });
    await store.append(callId, batches(1, 4));
    await expect(other.follow(callId, 1, () => undefined, signal)).rejects.toBeInstanceOf(
      CallGoneError,
    );
  });

  it('brings requestCancel to the running side within 200 ms', async () => {
    const callId = await created();
    let cancelledAt: number | undefined;
    const release = store.run(
      callId,
      () => (cancelledAt = Date.now()),
      () => undefined,
    );
    await subject.listening(callId);
    const requestedAt = Date.now();
    await other.requestCancel(callId);
    await until(() => cancelledAt !== undefined, 1000, 'onCancel');
    expect(cancelledAt! - requestedAt).toBeLessThan(200);
    release();
    // Once let go, the running side hears nothing more.
    cancelledAt = undefined;
    await other.requestCancel(callId);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(cancelledAt).toBeUndefined();
  });

  it('tells the running side how far a follower has read (onProgress)', async () => {
    const callId = await created();
    const progress: number[] = [];
    const release = store.run(
      callId,
      () => undefined,
      (offset) => progress.push(offset),
    );
    await subject.listening(callId);
    await store.append(callId, batches(1, 2));
    const controller = new AbortController();
    const following = other.follow(callId, 0, () => undefined, controller.signal);
    await until(() => progress.includes(2), 5000, 'progress 2');
    await store.append(callId, [batch(3)]);
    await until(() => progress.includes(3), 5000, 'progress 3');
    controller.abort();
    await following;
    release();
  });

  if (!subject.remote) return;

  it('rejects a follow with CallLostError when the running side never marked the call alive', async () => {
    const callId = await created({ heartbeatMs: 200 });
    await store.append(callId, [batch(1)]);
    const seen: number[] = [];
    const following = other.follow(
      callId,
      0,
      (entry) => void seen.push(entry.offset),
      new AbortController().signal,
    );
    await expect(following).rejects.toBeInstanceOf(CallLostError);
    expect(seen).toEqual([1]);
  });

  it('rejects a follow with CallLostError within three heartbeats of the last sign of life', async () => {
    const heartbeatMs = 200;
    const callId = await created({ heartbeatMs });
    const release = store.run(
      callId,
      () => undefined,
      () => undefined,
    );
    await store.append(callId, [batch(1)]);
    const following = other.follow(callId, 0, () => undefined, new AbortController().signal);
    const outcome = following.then(
      () => 'resolved',
      (error: Error) => error,
    );
    // Alive for a while: a follower does not give up on a quiet call.
    await new Promise((resolve) => setTimeout(resolve, 4 * heartbeatMs));
    expect(await Promise.race([outcome, Promise.resolve('pending')])).toBe('pending');
    // The running side stops without a terminal entry, as a killed instance would.
    release();
    const stoppedAt = Date.now();
    expect(await outcome).toBeInstanceOf(CallLostError);
    expect(Date.now() - stoppedAt).toBeLessThan(3 * heartbeatMs);
  });

  it('reports a quiet follower at least once per heartbeat', async () => {
    const heartbeatMs = 200;
    const callId = await created({ heartbeatMs });
    const reports: number[] = [];
    const release = store.run(
      callId,
      () => undefined,
      () => reports.push(Date.now()),
    );
    await subject.listening(callId);
    const controller = new AbortController();
    const following = other.follow(callId, 0, () => undefined, controller.signal);
    await until(() => reports.length > 0, 5000, 'a first report');
    const from = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 5 * heartbeatMs));
    const gaps = reports.filter((at) => at >= from).map((at, i, all) => at - (all[i - 1] ?? from));
    expect(gaps.length).toBeGreaterThanOrEqual(4);
    expect(Math.max(...gaps)).toBeLessThan(heartbeatMs);
    controller.abort();
    await following;
    release();
  });
});

/** Polls an async check (no fixed sleeps): every 10 ms until it holds or the time is up. */
async function pollUntil(check: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('RedisCallStore keys and round trips', () => {
  /** Calls of each command since the last CONFIG RESETSTAT. */
  async function commandCalls(probe: Redis): Promise<Record<string, number>> {
    const stats = await probe.info('commandstats');
    const calls: Record<string, number> = {};
    for (const [, name, count] of stats.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)) {
      calls[name] = Number(count);
    }
    return calls;
  }

  it('keeps one call under one hash tag, with a TTL while it runs and retainMs after its end', async () => {
    const probe = client();
    const store = new RedisCallStore(client(), { keyPrefix: 'app:' });
    opened.push(store);
    const callId = newId();
    const limits = limitsOf({ retainMs: 5000, heartbeatMs: 1000 });
    await store.create({ callId, name: 'job' }, limits);
    const release = store.run(
      callId,
      () => undefined,
      () => undefined,
    );
    await store.append(callId, [batch(1)]);
    const keys = ['meta', 'log', 'alive'].map((kind) => `app:{${callId}}:${kind}`);
    expect((await probe.keys(`app:{${callId}}:*`)).sort()).toEqual([...keys].sort());
    for (const key of keys) expect(await probe.pttl(key)).toBeGreaterThan(0);
    await store.append(callId, [{ offset: 2, outcome: 'end' }]);
    release();
    expect(await probe.exists(keys[2])).toBe(0);
    for (const key of keys.slice(0, 2)) {
      const ttl = await probe.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(5000);
    }
  });

  it('writes the batches of one append in one MULTI', async () => {
    const probe = client();
    const store = new RedisCallStore(client());
    opened.push(store);
    const callId = newId();
    await store.create({ callId, name: 'job' }, limitsOf());
    await store.append(callId, [batch(1)]);
    await probe.config('RESETSTAT');
    await store.append(callId, batches(2, 6));
    const calls = await commandCalls(probe);
    expect(calls).toMatchObject({ multi: 1, xadd: 5, exec: 1 });
    // No other command, apart from the probe's own.
    const others = Object.keys(calls).filter((name) => !['multi', 'xadd', 'exec'].includes(name));
    expect(others.filter((name) => !['config', 'info'].includes(name))).toEqual([]);
  });

  it('refuses a key prefix with braces (the call id is the hash tag)', () => {
    // A client that never connects: the constructor refuses before any use.
    const idle = new Redis({ lazyConnect: true });
    expect(() => new RedisCallStore(idle, { keyPrefix: '{app}:' })).toThrow(/braces/);
  });
});
