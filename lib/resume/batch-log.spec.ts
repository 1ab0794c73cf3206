import { join } from 'node:path';
import { runInFreshProcess } from '../../test/utils/fresh-process';
import { BATCH_OVERHEAD, BatchLog } from './batch-log';

const json = (offset: number, text = 'x'.repeat(offset % 300)) =>
  JSON.stringify([{ type: 'html', selector: '#p', html: `${offset}:${text}` }]);

/** Keeps `count` batches from offset 1 on, trimmed to `keep` as a store does. */
function filled(count: number, keep = Infinity, text?: (offset: number) => string): BatchLog {
  const log = new BatchLog();
  for (let offset = 1; offset <= count; offset++) {
    log.append(offset, json(offset, text?.(offset)));
    while (log.count > keep) log.dropOldest();
  }
  return log;
}

const expected = (from: number, to: number, text?: (offset: number) => string) =>
  Array.from({ length: to - from + 1 }, (_, i) => ({
    offset: from + i,
    json: json(from + i, text?.(from + i)),
  }));

/** What the batches alone cost: their characters and the overhead each. */
const batchCost = (entries: { json?: string }[]) =>
  entries.reduce((sum, { json }) => sum + json!.length + BATCH_OVERHEAD, 0);

/** A bulk of 64 batches held whole until its last one is trimmed: what a log may hold beyond. */
const SLACK = 64 * json(299).length;

/**
 * The heap that five logs of `keep` batches (the spec's `json` ones) hold, and what they count,
 * measured in a fresh process (`runInFreshProcess`).
 */
function heapOfLogsInFreshProcess(keep: number): { held: number; counted: number } {
  const measure = `
    const json = ${json.toString()};
    const full = () => {
      const log = new logModule.BatchLog();
      for (let offset = 1; offset <= ${keep + 3 * 64}; offset++) {
        log.append(offset, json(offset));
        while (log.count > ${keep}) log.dropOldest();
      }
      return log;
    };
    gc(); gc();
    const before = process.memoryUsage().heapUsed;
    const logs = [full(), full(), full(), full(), full()];
    gc(); gc();
    const held = process.memoryUsage().heapUsed - before;
    const counted = logs.reduce((sum, log) => sum + log.size, 0);
    process.stdout.write(JSON.stringify({ held, counted }));`;
  const output = runInFreshProcess(join(__dirname, 'batch-log.ts'), 'logModule', measure);
  return JSON.parse(output) as { held: number; counted: number };
}

describe('BatchLog', () => {
  it('gives back every batch after an offset, across many bulks, waiting ones included', () => {
    const log = filled(5_000 + 17);
    expect(log.count).toBe(5_017);
    expect(log.firstOffset).toBe(1);
    expect(log.entriesAfter(0)).toEqual(expected(1, 5_017));
    expect(log.entriesAfter(4_990)).toEqual(expected(4_991, 5_017));
    expect(log.entriesAfter(5_017)).toEqual([]);
  });

  it('trims the oldest and counts what it holds, not more', () => {
    const log = filled(20_000, 1_000);
    const kept = log.entriesAfter(0);
    expect(kept).toEqual(expected(19_001, 20_000));
    expect(log.size).toBeGreaterThanOrEqual(batchCost(kept));
    expect(log.size).toBeLessThanOrEqual(batchCost(kept) + SLACK);
  });

  it('takes on the heap about what it counts: one flat string per bulk, not a rope of batches', () => {
    const { held, counted } = heapOfLogsInFreshProcess(20_000);
    // The rope of a bulk, its pieces and their headers kept, would take about 3 times as much.
    expect(held).toBeLessThan(counted * 1.25);
    expect(held).toBeGreaterThan(counted * 0.5);
  });

  it('keeps a short log as strings, trimmed one by one, costing their length', () => {
    const one = filled(1_000, 1);
    expect([one.firstOffset, one.entriesAfter(0)]).toEqual([1_000, expected(1_000, 1_000)]);
    expect(one.size).toBe(json(1_000).length + BATCH_OVERHEAD);
    const some = filled(1_000, 20);
    expect(some.entriesAfter(0)).toEqual(expected(981, 1_000));
    expect(some.size).toBe(batchCost(expected(981, 1_000)));
  });

  it('keeps text beyond ASCII exact', () => {
    const text = (offset: number) => (offset % 3 ? 'é€😀'.repeat(offset % 7) : 'plain');
    const log = filled(700, 500, text);
    expect(log.entriesAfter(150)).toEqual(expected(201, 700, text));
  });

  it('takes a large batch, and lets it go with its bulk', () => {
    const big = (offset: number) => (offset === 70 ? 'y'.repeat(600_000) : '');
    const log = filled(200, Infinity, big);
    expect(log.entriesAfter(65)).toEqual(expected(66, 200, big));
    while (log.firstOffset! <= 70) log.dropOldest();
    // Counted until the last batch of its bulk (65 to 128) goes, and gone with it.
    expect(log.size).toBeGreaterThan(600_000);
    expect(log.entriesAfter(0)).toEqual(expected(71, 200, big));
    while (log.firstOffset! <= 128) log.dropOldest();
    expect(log.size).toBeLessThan(100_000);
  });

  it('starts a new bulk where offsets skip, and gives every batch back with its own', () => {
    const log = new BatchLog();
    const offsets = [
      ...Array.from({ length: 40 }, (_, i) => 1 + i),
      ...Array.from({ length: 100 }, (_, i) => 50 + i),
      ...Array.from({ length: 3 }, (_, i) => 500 + i),
    ];
    for (const offset of offsets) log.append(offset, json(offset));
    const all = offsets.map((offset) => ({ offset, json: json(offset) }));
    expect(log.entriesAfter(0)).toEqual(all);
    expect(log.entriesAfter(60)).toEqual(all.filter(({ offset }) => offset > 60));
    for (let i = 0; i < 45; i++) log.dropOldest();
    expect([log.firstOffset, log.entriesAfter(0)]).toEqual([55, all.slice(45)]);
    while (log.count > 0) log.dropOldest();
    expect(log.size).toBe(0);
  });

  it('gives what follows any offset, at and around the bulks it keeps', () => {
    const log = filled(1_000, 700);
    for (let after = 0; after <= 1_001; after++) {
      expect(log.entriesAfter(after)).toEqual(expected(Math.max(after + 1, 301), 1_000));
    }
  });

  it('gives the first `limit` of them, across bulks and the waiting ones', () => {
    const log = filled(1_000, 700);
    for (const [after, limit] of [
      [0, 1],
      [300, 63],
      [320, 64],
      [383, 65],
      [950, 10],
      [990, 100],
      [0, 2_000],
    ]) {
      const from = Math.max(after + 1, 301);
      expect(log.entriesAfter(after, limit)).toEqual(
        expected(from, Math.min(1_000, from + limit - 1)),
      );
    }
  });

  it('gives the same batches back once sealed, however few or trimmed', () => {
    for (const [count, keep] of [
      [0, 1],
      [10, 10],
      [64, 64],
      [100, 30],
      [1_000, 5],
    ]) {
      const log = filled(count, keep);
      const [kept, size, first] = [log.entriesAfter(0), log.size, log.firstOffset];
      log.seal();
      expect([log.entriesAfter(0), log.size, log.firstOffset]).toEqual([kept, size, first]);
    }
  });

  it('holds nothing once every batch is dropped', () => {
    const log = filled(10_000);
    while (log.count > 0) log.dropOldest();
    expect([log.firstOffset, log.size, log.entriesAfter(0)]).toEqual([undefined, 0, []]);
    log.append(10_001, json(10_001));
    expect(log.entriesAfter(0)).toEqual(expected(10_001, 10_001));
  });
});
