import { Logger } from '@nestjs/common';
import type { CallOutcome } from '../core/call';
import type { StreamWriter } from '../transports/stream-writer';
import type { CallLogEntry } from './call-store';
import { SIJAX_DEFAULTS } from '../sijax.constants';
import { STORE_READ_STUCK } from '../sijax.messages';
import { CallGoneError } from './call-errors';
import { RunReader } from './run-reader';

/** A connection whose socket is full after every `room` batches, until the test drains it. */
class SlowConnection {
  readonly offsets: number[] = [];
  outcome: CallOutcome | undefined;
  closed = false;
  private full: { promise: Promise<void>; drain: () => void } | undefined;

  constructor(private readonly room: number) {}

  ready(): Promise<void> | undefined {
    return this.full?.promise;
  }

  writeJson(_json: string, offset: number): boolean {
    if (this.closed) return false;
    this.offsets.push(offset);
    if (this.offsets.length % this.room === 0 && !this.full) {
      let drain!: () => void;
      const promise = new Promise<void>((resolve) => (drain = resolve));
      this.full = { promise, drain };
    }
    return true;
  }

  end(outcome: CallOutcome): void {
    this.outcome = outcome;
    this.closed = true;
  }

  /** The client reads what was sent: the socket takes more. */
  async drain(): Promise<void> {
    const full = this.full;
    this.full = undefined;
    full?.drain();
    // The replay goes on in the promise's reaction.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const batches = (from: number, to: number): CallLogEntry[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ offset: from + i, json: `[${from + i}]` }));

describe('RunReader', () => {
  it('replays no faster than the connection takes it, then what came meanwhile, once each', async () => {
    const connection = new SlowConnection(10);
    const reader = new RunReader(connection as unknown as StreamWriter, 0);
    const replayed = reader.replay(batches(1, 35));
    expect(connection.offsets).toEqual(batches(1, 10).map(({ offset }) => offset));
    // Live batches while the replay waits for the client (one already in the replay).
    for (const entry of batches(35, 37)) reader.push(entry);
    expect(connection.offsets).toHaveLength(10);
    await connection.drain();
    expect(connection.offsets).toHaveLength(20);
    await connection.drain();
    await connection.drain();
    expect(connection.offsets).toEqual(batches(1, 37).map(({ offset }) => offset));
    await replayed;
    expect(reader.written).toBe(37);
    reader.push({ offset: 38, outcome: 'end' });
    expect(connection.outcome).toBe('end');
  });

  it('reads the next page of a long log only once the connection has taken the last', async () => {
    const page = SIJAX_DEFAULTS.replayPage;
    const connection = new SlowConnection(page / 2);
    const reader = new RunReader(connection as unknown as StreamWriter, 0);
    const reads: number[] = [];
    const log = batches(1, 2 * page + 10);
    const next = (after: number) => {
      reads.push(after);
      return { entries: log.filter(({ offset }) => offset > after).slice(0, page), ended: false };
    };
    const replayed = reader.replay(log.slice(0, page), next);
    expect([connection.offsets.length, reads]).toEqual([page / 2, []]);
    await connection.drain();
    // The first page is written, and the socket is full again: no read yet.
    expect([connection.offsets.length, reads]).toEqual([page, []]);
    await connection.drain();
    expect([connection.offsets.length, reads]).toEqual([page + page / 2, [page]]);
    for (let i = 0; i < 4; i++) await connection.drain();
    await replayed;
    expect(reads).toEqual([page, 2 * page]);
    expect(connection.offsets).toEqual(log.map(({ offset }) => offset));
  });

  it('ends the stream with the error when a page of its replay is gone, nothing past it', async () => {
    const connection = new SlowConnection(1_000);
    const writes: unknown[] = [];
    Object.assign(connection, { write: (batch: unknown) => writes.push(batch) });
    const reader = new RunReader(connection as unknown as StreamWriter, 0);
    const gone = new CallGoneError();
    let fail!: (error: unknown) => void;
    const page = SIJAX_DEFAULTS.replayPage;
    const replayed = reader.replay(
      batches(1, page),
      () => new Promise((_, reject) => (fail = reject)),
    );
    // A live batch while the next page is read: after the gap, so never written.
    reader.push({ offset: page + 50, json: '[]' });
    fail(gone);
    await expect(replayed).rejects.toBe(gone);
    expect(writes).toEqual([[expect.objectContaining({ type: 'error', status: 410 })]]);
    expect(connection.outcome).toBe('error');
    expect(connection.offsets).toEqual(batches(1, page).map(({ offset }) => offset));
    reader.push({ offset: page + 51, json: '[]' });
    expect(connection.offsets).toHaveLength(page);
  });

  it('ends the stream with an error when the store answers the same page again', async () => {
    const connection = new SlowConnection(10_000);
    const writes: unknown[] = [];
    Object.assign(connection, { write: (batch: unknown) => writes.push(batch) });
    const reader = new RunReader(connection as unknown as StreamWriter, 0);
    const page = batches(1, SIJAX_DEFAULTS.replayPage);
    let reads = 0;
    // A custom store that ignores `after`: without the check, the replay never ends.
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const replayed = reader.replay(page, () => (++reads, { entries: page, ended: false }));
    await expect(replayed).rejects.toThrow(STORE_READ_STUCK);
    expect(logged).toHaveBeenCalledTimes(1);
    logged.mockRestore();
    expect(reads).toBe(1);
    expect(writes).toEqual([[expect.objectContaining({ type: 'error', status: 500 })]]);
    expect(connection.outcome).toBe('error');
  });

  it('ends the stream on the terminal entry also when it claims an offset past it', () => {
    const connection = new SlowConnection(10);
    // A client may send any Last-Event-ID: this one is past the call's end.
    const reader = new RunReader(connection as unknown as StreamWriter, 1_000, false);
    reader.push({ offset: 5, json: '[5]' });
    expect(connection.offsets).toEqual([]);
    reader.push({ offset: 6, outcome: 'end' });
    expect(connection.outcome).toBe('end');
    expect(reader.written).toBe(1_000);
  });

  it('stops writing a replay whose client left', async () => {
    const connection = new SlowConnection(5);
    const reader = new RunReader(connection as unknown as StreamWriter, 0);
    const replayed = reader.replay(batches(1, 1_000));
    connection.closed = true;
    await connection.drain();
    await replayed;
    expect(connection.offsets).toHaveLength(5);
    expect(reader.written).toBe(5);
  });
});
