import { join } from 'node:path';
import { CallGoneError } from '../../lib/resume/call-errors';
import type { CallLogEntry, CallLogLimits } from '../../lib/resume/call-store';
import { BATCH_OVERHEAD } from '../../lib/resume/batch-log';
import { LOG_OVERHEAD, MemoryCallStore } from '../../lib/resume/memory-call-store';
import { runInFreshProcess } from '../utils/fresh-process';
import { batch, limitsOf, newId, offsets } from './store-fixtures';

/** A batch that costs the store 1,000 bytes: its JSON and the overhead E (`BATCH_OVERHEAD`), which a terminal entry costs too. */
const sized = (offset: number): CallLogEntry => ({
  offset,
  json: `["${String(offset).padEnd(996 - BATCH_OVERHEAD, '.')}"]`,
});
const END = (offset: number): CallLogEntry => ({ offset, outcome: 'end' });

/**
 * The heap that a flood of `calls` short calls (one small batch, then the end) holds in a store
 * bounded at `maxTotalBytes`, measured in a fresh process (`runInFreshProcess`).
 */
function heapOfShortCallsInFreshProcess(calls: number, maxTotalBytes: number): number {
  const measure = `
    const limits = ${JSON.stringify(limitsOf())};
    const store = new storeModule.MemoryCallStore({ maxTotalBytes: ${maxTotalBytes} });
    gc(); gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < ${calls}; i++) {
      const callId = 'call-' + String(i).padStart(17, '0');
      store.create({ callId, name: 'progress', owner: 'user-' + (i % 100) }, limits);
      store.append(callId, [{ offset: 1, json: '[{"type":"html","selector":"#p","html":"' + i + '"}]' }]);
      store.append(callId, [{ offset: 2, outcome: 'end' }]);
    }
    gc(); gc();
    process.stdout.write(String(process.memoryUsage().heapUsed - before));
    store.close();`;
  const entry = join(__dirname, '../../lib/resume/memory-call-store.ts');
  return Number(runInFreshProcess(entry, 'storeModule', measure));
}

/** What MemoryCallStore does beyond the contract: the bound on all its logs together. */
describe('MemoryCallStore, bounded in total (maxTotalBytes)', () => {
  let store: MemoryCallStore;
  afterEach(() => store.close());

  /** A store that holds `bytes` of batches beside `logs` logs' own cost (`LOG_OVERHEAD` each). */
  const bounded = (bytes: number, logs: number) =>
    (store = new MemoryCallStore({ maxTotalBytes: bytes + logs * LOG_OVERHEAD }));

  function call(entries: CallLogEntry[], limits: CallLogLimits = limitsOf()): string {
    const callId = newId();
    expect(store.create({ callId, name: 'job' }, limits)).toBe(true);
    if (entries.length) store.append(callId, entries);
    return callId;
  }

  it('evicts ended calls first, the oldest first, once over the total', () => {
    bounded(5000, 3);
    const older = call([sized(1), END(2)]);
    const newer = call([sized(1), END(2)]);
    const running = call([sized(1), sized(2)]);
    expect(offsets(store.read(older, 0).entries)).toEqual([1, 2]); // 4,000 + 2E bytes: all kept
    store.append(running, [sized(3)]); // 5,000 + 2E: the oldest ended call goes
    expect(() => store.read(older, 0)).toThrow(CallGoneError);
    expect(store.read(newer, 0)).toEqual({ entries: [sized(1), END(2)], ended: true });
    expect(offsets(store.read(running, 0).entries)).toEqual([1, 2, 3]);
  });

  it('then trims the running call that grows, its oldest batches first, before any other', () => {
    bounded(5000, 2);
    const first = call([sized(1), sized(2)]);
    const second = call([sized(1), sized(2), sized(3)]);
    store.append(second, [sized(4)]); // 6,000 bytes: the second call's oldest batch goes
    expect(offsets(store.read(first, 0).entries)).toEqual([1, 2]);
    expect(() => store.read(second, 0)).toThrow(CallGoneError);
    expect(offsets(store.read(second, 1).entries)).toEqual([2, 3, 4]);
    store.append(second, [sized(5), sized(6)]); // 7,000: two more of the second's go
    expect(offsets(store.read(first, 0).entries)).toEqual([1, 2]);
    expect(offsets(store.read(second, 3).entries)).toEqual([4, 5, 6]);
  });

  it('then the other running calls, once the growing one is down to its newest batch', () => {
    bounded(3000, 2);
    const first = call([sized(1), sized(2)]);
    const second = call([sized(1)]);
    // 5,000 bytes: the second gives up its batch 1 and holds its newest only (2,000), so the
    // first's oldest goes too.
    store.append(second, [{ offset: 2, json: `["${'.'.repeat(2000 - 4 - BATCH_OVERHEAD)}"]` }]);
    expect(() => store.read(second, 0)).toThrow(CallGoneError);
    expect(() => store.read(first, 0)).toThrow(CallGoneError);
    expect(offsets(store.read(first, 1).entries)).toEqual([2]);
    expect(offsets(store.read(second, 1).entries)).toEqual([2]);
  });

  it('frees what a dropped call held: later calls fit again', () => {
    bounded(5000, 2);
    const ended = call([sized(1), sized(2), sized(3), END(4)]);
    call([sized(1), sized(2)]); // 5,000 + E bytes: the ended call goes, 2,000 stay
    expect(() => store.read(ended, 0)).toThrow(CallGoneError);
    const third = call([sized(1), sized(2), sized(3)]); // 5,000: at the bound, not over it
    expect(offsets(store.read(third, 0).entries)).toEqual([1, 2, 3]);
  });

  it('counts what each log costs besides its batches: many short calls keep the newest that fit', () => {
    bounded(200, 10);
    // Each costs LOG_OVERHEAD and 14 bytes: nine fit beside the running one, not more.
    const running = call([batch(1)]);
    const ended = Array.from({ length: 1000 }, () => call([batch(1), END(2)]));
    const kept = ended.filter((callId) => store.info(callId) !== undefined);
    expect(kept).toEqual(ended.slice(-9));
    expect(offsets(store.read(running, 0).entries)).toEqual([1]);
    // A new call evicts the oldest ended one, not a running one.
    call([]);
    expect(ended.filter((callId) => store.info(callId) !== undefined)).toEqual(ended.slice(-8));
    expect(store.info(running)).toBeDefined();
  });

  it('holds on the heap no more than its bound under a flood of short calls', () => {
    const bound = 4 * 1024 * 1024;
    // Uncounted, 50,000 ended calls kept for retainMs took about 80 MB.
    const held = heapOfShortCallsInFreshProcess(50_000, bound);
    expect(held).toBeLessThan(bound * 1.25);
    expect(held).toBeGreaterThan(bound * 0.25);
  });
});

describe('MemoryCallStore, expiry', () => {
  let store: MemoryCallStore;
  beforeEach(() => (store = new MemoryCallStore()));
  afterEach(() => store.close());

  const ended = (retainMs: number) => {
    const callId = newId();
    store.create({ callId, name: 'job' }, limitsOf({ retainMs }));
    store.append(callId, [batch(1), END(2)]);
    return callId;
  };
  it('keeps one timer for every ended call, not one each, and drops them all on time', () => {
    jest.useFakeTimers();
    try {
      const calls = Array.from({ length: 200 }, () => ended(60_000));
      expect(jest.getTimerCount()).toBe(1);
      jest.advanceTimersByTime(59_000);
      expect(calls.every((callId) => store.info(callId) !== undefined)).toBe(true);
      const later = ended(60_000);
      jest.advanceTimersByTime(2_000);
      expect(calls.some((callId) => store.info(callId) !== undefined)).toBe(false);
      // The sweep that dropped them waits for the one left, alone again.
      expect([store.info(later) !== undefined, jest.getTimerCount()]).toEqual([true, 1]);
    } finally {
      jest.useRealTimers();
    }
  });

  it('drops a call that expires behind a longer-kept one when it is read', () => {
    jest.useFakeTimers();
    try {
      const longer = ended(60_000);
      const shorter = ended(50);
      // The sweep waits for the longer one; a read of the shorter one finds it expired.
      jest.advanceTimersByTime(49);
      expect(store.info(shorter)).toBeDefined();
      jest.advanceTimersByTime(2);
      expect(store.info(shorter)).toBeUndefined();
      expect(() => store.read(shorter, 0)).toThrow(CallGoneError);
      expect(store.read(longer, 0).ended).toBe(true);
    } finally {
      jest.useRealTimers();
    }
  });
});
