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

/** What the batches alone take: their UTF-8 bytes and the overhead each. */
const batchBytes = (entries: { json?: string }[]) =>
  entries.reduce((sum, { json }) => sum + Buffer.byteLength(json!) + BATCH_OVERHEAD, 0);

/** A partly filled segment and the one kept for the next: what a log may hold beyond its batches. */
const SLACK = 2 * 32 * 1024;

describe('BatchLog', () => {
  it('gives back every batch after an offset, across many segments, waiting ones included', () => {
    const log = filled(5_000 + 17);
    expect(log.count).toBe(5_017);
    expect(log.firstOffset).toBe(1);
    expect(log.entriesAfter(0)).toEqual(expected(1, 5_017));
    expect(log.entriesAfter(4_990)).toEqual(expected(4_991, 5_017));
    expect(log.entriesAfter(5_017)).toEqual([]);
  });

  it('trims the oldest and counts the buffers it holds, not more', () => {
    const log = filled(20_000, 1_000);
    const kept = log.entriesAfter(0);
    expect(kept).toEqual(expected(19_001, 20_000));
    expect(log.size).toBeGreaterThanOrEqual(batchBytes(kept));
    expect(log.size).toBeLessThanOrEqual(batchBytes(kept) + SLACK);
  });

  it('keeps a short log as strings, trimmed one by one, costing their length', () => {
    const one = filled(1_000, 1);
    expect([one.firstOffset, one.entriesAfter(0)]).toEqual([1_000, expected(1_000, 1_000)]);
    expect(one.size).toBe(json(1_000).length + BATCH_OVERHEAD);
    const some = filled(1_000, 20);
    expect(some.entriesAfter(0)).toEqual(expected(981, 1_000));
    expect(some.size).toBe(batchBytes(expected(981, 1_000)));
  });

  it('keeps text beyond ASCII exact', () => {
    const text = (offset: number) => (offset % 3 ? 'é€😀'.repeat(offset % 7) : 'plain');
    const log = filled(700, 500, text);
    expect(log.entriesAfter(150)).toEqual(expected(201, 700, text));
  });

  it('takes a batch larger than a segment', () => {
    const big = (offset: number) => (offset === 70 ? 'y'.repeat(600_000) : '');
    const log = filled(200, Infinity, big);
    expect(log.entriesAfter(65)).toEqual(expected(66, 200, big));
    while (log.firstOffset! <= 70) log.dropOldest();
    // The segment that held it is gone with it.
    expect(log.size).toBeLessThan(100_000);
    expect(log.entriesAfter(0)).toEqual(expected(71, 200, big));
  });

  it('holds nothing once every batch is dropped and the spare let go', () => {
    const log = filled(10_000);
    while (log.count > 0) log.dropOldest();
    log.releaseSpare();
    expect([log.firstOffset, log.size, log.entriesAfter(0)]).toEqual([undefined, 0, []]);
    log.append(10_001, json(10_001));
    expect(log.entriesAfter(0)).toEqual(expected(10_001, 10_001));
  });
});
