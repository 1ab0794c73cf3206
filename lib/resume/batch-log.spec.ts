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

const byteCost = (from: number, to: number, text?: (offset: number) => string) =>
  expected(from, to, text).reduce(
    (sum, { json }) => sum + Buffer.byteLength(json) + BATCH_OVERHEAD,
    0,
  );

describe('BatchLog', () => {
  it('gives back every batch after an offset, across many segments, waiting ones included', () => {
    const log = filled(5_000 + 17);
    expect(log.count).toBe(5_017);
    expect(log.firstOffset).toBe(1);
    expect(log.entriesAfter(0)).toEqual(expected(1, 5_017));
    expect(log.entriesAfter(4_990)).toEqual(expected(4_991, 5_017));
    expect(log.entriesAfter(5_017)).toEqual([]);
  });

  it('trims the oldest, also those still waiting, and costs what it keeps', () => {
    const log = filled(10_000, 1_000);
    expect(log.firstOffset).toBe(9_001);
    expect(log.entriesAfter(0)).toEqual(expected(9_001, 10_000));
    expect(log.size).toBe(byteCost(9_001, 10_000));
    const one = filled(100, 1);
    expect(one.entriesAfter(0)).toEqual(expected(100, 100));
    expect(one.size).toBe(byteCost(100, 100));
  });

  it('keeps non-ASCII text exact and counts its UTF-8 bytes', () => {
    const text = (offset: number) => (offset % 3 ? 'é€😀'.repeat(offset % 7) : 'plain');
    const log = filled(700, 500, text);
    expect(log.entriesAfter(150)).toEqual(expected(201, 700, text));
    expect(log.size).toBe(byteCost(201, 700, text));
  });

  it('takes a batch larger than a segment', () => {
    const big = (offset: number) => (offset === 70 ? 'y'.repeat(600_000) : '');
    const log = filled(200, Infinity, big);
    expect(log.entriesAfter(65)).toEqual(expected(66, 200, big));
    while (log.count > 1) log.dropOldest();
    expect(log.entriesAfter(0)).toEqual(expected(200, 200, big));
    expect(log.size).toBe(byteCost(200, 200, big));
  });

  it('is empty again once every batch is dropped', () => {
    const log = filled(130);
    while (log.count > 0) log.dropOldest();
    expect([log.firstOffset, log.size, log.entriesAfter(0)]).toEqual([undefined, 0, []]);
    log.append(131, json(131));
    expect(log.entriesAfter(0)).toEqual(expected(131, 131));
  });
});
