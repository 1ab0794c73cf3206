import { CallGoneError, CallLostError } from '../../lib/resume/call-errors';
import type { CallLogEntry, CallLogLimits, CallStore } from '../../lib/resume/call-store';
import { Latch, until } from '../utils/latch';
import {
  batch,
  batches,
  limitsOf,
  newId,
  offsets,
  pollUntil,
  settle,
  useRedis,
} from './store-fixtures';

/**
 * What every CallStore promises (call-store.ts), checked on the in-memory store and on Redis.
 * `store` plays the instance that runs a call, `other` an instance that follows it: a second
 * RedisCallStore on its own connection, or the same MemoryCallStore (it has no other instance).
 * On Redis twice: one server, and a cluster of three nodes (a call's keys on one, calls spread).
 */
const { subjects } = useRedis({ cluster: true });

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

  /** A call created and run on `store`, deaf to cancels and progress; `release` lets it go. */
  async function running(overrides: Partial<CallLogLimits> = {}) {
    const callId = await created(overrides);
    const release = store.run(
      callId,
      () => undefined,
      () => undefined,
    );
    return { callId, release };
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

  it('reads a page of at most `limit` entries, the terminal one too', async () => {
    const callId = await created();
    // 100 batches: in memory, a joined bulk of 64 and 36 waiting ones.
    await store.append(callId, batches(1, 100));
    expect(await other.read(callId, 0, 4)).toEqual({ entries: batches(1, 4), ended: false });
    expect(await other.read(callId, 60, 10)).toEqual({ entries: batches(61, 70), ended: false });
    await store.append(callId, [{ offset: 101, outcome: 'end' }]);
    expect(await other.read(callId, 90, 10)).toEqual({ entries: batches(91, 100), ended: true });
    expect(await other.read(callId, 95, 10)).toEqual({
      entries: [...batches(96, 100), { offset: 101, outcome: 'end' }],
      ended: true,
    });
    expect(offsets((await other.read(callId, 0, 1_000)).entries)).toHaveLength(101);
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
    const { callId, release } = await running({ retainMs: 300, heartbeatMs: 100 });
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
    const { callId, release } = await running();
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
    const { callId, release } = await running({ heartbeatMs: 20_000 });
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

  it('rejects a live follow with CallGoneError once the log was trimmed past its client', async () => {
    const { callId, release } = await running({ maxBatches: 3 });
    await store.append(callId, [batch(1)]);
    const seen: number[] = [];
    const socket = new Latch();
    const following = other.follow(
      callId,
      0,
      // The client takes entry 1, then nothing while the call runs on.
      (entry) => (seen.push(entry.offset), socket.promise),
      new AbortController().signal,
    );
    const outcome = following.then(
      () => 'resolved',
      (error: Error) => error,
    );
    await until(() => seen.length === 1, 5000, 'the replay');
    // Batches 2 to 5 are trimmed (3 kept: 6 to 8) while the follower still holds entry 1.
    for (let offset = 2; offset <= 8; offset++) await store.append(callId, [batch(offset)]);
    await store.append(callId, [{ offset: 9, outcome: 'end' }]);
    socket.open();
    expect(await outcome).toBeInstanceOf(CallGoneError);
    // Nothing past the gap was handed over as if it followed on.
    expect(seen).toEqual([1]);
    release();
  });

  it("follows a running call from an offset past its log to the call's end", async () => {
    const { callId, release } = await running();
    await store.append(callId, batches(1, 2));
    const seen: CallLogEntry[] = [];
    const following = other.follow(
      callId,
      5,
      (entry) => void seen.push(entry),
      new AbortController().signal,
    );
    await store.append(callId, batches(3, 6));
    await store.append(callId, [{ offset: 7, outcome: 'end' }]);
    await following;
    // What the client claims to have is not sent again; what is past it is, then the end.
    expect(seen).toEqual([batch(6), { offset: 7, outcome: 'end' }]);
    release();
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
    const { callId, release } = await running({ heartbeatMs });
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

  /** What a follower's onEntry does: returns at once, or waits on a socket that stays full. */
  const followers = [
    { kind: 'a quiet follower', log: [] as CallLogEntry[], full: false },
    { kind: 'a follower whose client does not take an entry', log: batches(1, 3), full: true },
  ];

  it.each(followers)('reports $kind at least once per heartbeat', async ({ log, full }) => {
    const heartbeatMs = 200;
    const callId = await created({ heartbeatMs });
    const reports: number[] = [];
    const release = store.run(
      callId,
      () => undefined,
      () => reports.push(Date.now()),
    );
    await subject.listening(callId);
    if (log.length) await store.append(callId, log);
    const socket = new Latch();
    const seen: number[] = [];
    const controller = new AbortController();
    const following = other.follow(
      callId,
      0,
      (entry) => (seen.push(entry.offset), full ? socket.promise : undefined),
      controller.signal,
    );
    await until(
      () => reports.length > 0 && seen.length === Math.min(1, log.length),
      5000,
      'a first report',
    );
    const from = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 5 * heartbeatMs));
    const gaps = reports.filter((at) => at >= from).map((at, i, all) => at - (all[i - 1] ?? from));
    expect(gaps.length).toBeGreaterThanOrEqual(4);
    expect(Math.max(...gaps)).toBeLessThan(heartbeatMs);
    // Nothing more was taken while the socket stayed full; then the rest comes.
    expect(seen).toEqual(offsets(log).slice(0, 1));
    socket.open();
    await until(() => seen.length === log.length, 5000, 'the rest');
    controller.abort();
    await following;
    release();
  });
});
