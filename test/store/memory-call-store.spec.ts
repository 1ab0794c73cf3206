import { CallGoneError } from '../../lib/resume/call-errors';
import type { CallLogEntry } from '../../lib/resume/call-store';
import { BATCH_OVERHEAD } from '../../lib/resume/batch-log';
import { MemoryCallStore } from '../../lib/resume/memory-call-store';
import { limitsOf, newId, offsets } from './store-fixtures';

/** A batch that costs the store 1,000 bytes: its JSON and the overhead E (`BATCH_OVERHEAD`), which a terminal entry costs too. */
const sized = (offset: number): CallLogEntry => ({
  offset,
  json: `["${String(offset).padEnd(996 - BATCH_OVERHEAD, '.')}"]`,
});

/** What MemoryCallStore does beyond the contract: the bound on all its logs together. */
describe('MemoryCallStore, bounded in total (maxTotalBytes)', () => {
  let store: MemoryCallStore;

  beforeEach(() => {
    store = new MemoryCallStore({ maxTotalBytes: 5000 });
  });
  afterEach(() => store.close());

  function call(...entries: CallLogEntry[]): string {
    const callId = newId();
    expect(store.create({ callId, name: 'job' }, limitsOf())).toBe(true);
    if (entries.length) store.append(callId, entries);
    return callId;
  }

  it('evicts ended calls first, the oldest first, once over the total', () => {
    const older = call(sized(1), { offset: 2, outcome: 'end' });
    const newer = call(sized(1), { offset: 2, outcome: 'end' });
    const running = call(sized(1), sized(2));
    expect(offsets(store.read(older, 0).entries)).toEqual([1, 2]); // 4,000 + 2E bytes: all kept
    store.append(running, [sized(3)]); // 5,000 + 2E: the oldest ended call goes
    expect(() => store.read(older, 0)).toThrow(CallGoneError);
    expect(store.read(newer, 0)).toEqual({
      entries: [sized(1), { offset: 2, outcome: 'end' }],
      ended: true,
    });
    expect(offsets(store.read(running, 0).entries)).toEqual([1, 2, 3]);
  });

  it('then trims running calls, oldest batches first, down to their newest', () => {
    const first = call(sized(1), sized(2));
    const second = call(sized(1), sized(2), sized(3));
    store.append(second, [sized(4)]); // 6,000 bytes: the first call's oldest batch goes
    expect(() => store.read(first, 0)).toThrow(CallGoneError);
    expect(offsets(store.read(first, 1).entries)).toEqual([2]);
    expect(offsets(store.read(second, 0).entries)).toEqual([1, 2, 3, 4]);
    // Nothing left to trim in the first call but its newest batch: the second gives up its own.
    store.append(second, [sized(5), sized(6)]); // 7,000: two of the second's go
    expect(offsets(store.read(first, 1).entries)).toEqual([2]);
    expect(() => store.read(second, 1)).toThrow(CallGoneError);
    expect(offsets(store.read(second, 2).entries)).toEqual([3, 4, 5, 6]);
  });

  it('frees what a dropped call held: later calls fit again', () => {
    const ended = call(sized(1), sized(2), sized(3), { offset: 4, outcome: 'end' });
    call(sized(1), sized(2)); // 5,000 + E bytes: the ended call goes, 2,000 stay
    expect(() => store.read(ended, 0)).toThrow(CallGoneError);
    const third = call(sized(1), sized(2), sized(3)); // 5,000: at the bound, not over it
    expect(offsets(store.read(third, 0).entries)).toEqual([1, 2, 3]);
  });
});
