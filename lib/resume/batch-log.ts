import type { CallLogEntry } from './call-store';

/** What a kept batch costs besides its JSON: its offset and where it ends, in the index. */
export const BATCH_OVERHEAD = 16;
/** Batches joined into one string together: one flat string per this many, not one per batch. */
const BULK = 64;

/**
 * Consecutive batches of one log: their JSON joined in one flat string, and where each one ends
 * in it. A batch read back is a slice of it (no copy).
 */
class LogBulk {
  constructor(
    readonly text: string,
    readonly offsets: number[],
    readonly ends: number[],
  ) {}

  json(index: number): string {
    return this.text.slice(index === 0 ? 0 : this.ends[index - 1], this.ends[index]);
  }
}

/**
 * The kept batches of one call. A batch stays in the log for thousands of batches: as a string
 * and an object each, the young generation's collections would copy them, promote them, then
 * every full collection would mark them until trimmed. Joined by `BULK` into one flat string (no
 * pointers inside for the collector to follow) with two numbers per batch, a kept batch costs
 * its characters and 16 bytes. The newest batches (fewer than `BULK`) wait as strings and are
 * joined together; a bulk is dropped whole once every batch in it is trimmed.
 *
 * `size` is what the log holds, in characters of JSON (one byte each in V8 for Latin-1 text,
 * two beyond it) plus `BATCH_OVERHEAD` per batch: whole bulks until they are dropped, and the
 * waiting batches.
 */
export class BatchLog {
  /** Batches kept. */
  count = 0;
  size = 0;
  private readonly bulks: LogBulk[] = [];
  /** The oldest kept batch's index in the first bulk. */
  private head = 0;
  // New arrays for each bulk: young ones, which the collector's write barrier lets through.
  private waiting: string[] = new Array<string>(BULK);
  private waitingOffsets: number[] = new Array<number>(BULK);
  private waitingCount = 0;
  /** Waiting batches before this one were dropped before they were joined (a short log). */
  private waitingHead = 0;

  append(offset: number, json: string): void {
    this.wait(json, offset);
    this.size += json.length + BATCH_OVERHEAD;
    this.count++;
    if (this.waitingCount === BULK) this.store();
  }

  /** The oldest kept batch's offset. */
  get firstOffset(): number | undefined {
    if (this.count === 0) return undefined;
    if (this.count === this.waitingCount - this.waitingHead) {
      return this.waitingOffsets[this.waitingHead];
    }
    return this.bulks[0].offsets[this.head];
  }

  /** Drops the oldest kept batch. */
  dropOldest(): void {
    this.count--;
    this.size -= BATCH_OVERHEAD;
    if (this.count + 1 === this.waitingCount - this.waitingHead) {
      this.size -= this.waiting[this.waitingHead].length;
      this.waiting[this.waitingHead++] = '';
      return;
    }
    const first = this.bulks[0];
    if (++this.head < first.offsets.length) return;
    this.bulks.shift();
    this.head = 0;
    this.size -= first.text.length;
  }

  /** The kept batches after offset `after`, in order. */
  entriesAfter(after: number): CallLogEntry[] {
    const entries: CallLogEntry[] = [];
    let index = this.head;
    for (const bulk of this.bulks) {
      for (; index < bulk.offsets.length; index++) {
        const offset = bulk.offsets[index];
        if (offset > after) entries.push({ offset, json: bulk.json(index) });
      }
      index = 0;
    }
    for (let i = this.waitingHead; i < this.waitingCount; i++) {
      const offset = this.waitingOffsets[i];
      if (offset > after) entries.push({ offset, json: this.waiting[i] });
    }
    return entries;
  }

  /** Joins the waiting batches into one bulk. */
  private store(): void {
    const { waitingHead: from, waitingCount: to, waiting, waitingOffsets } = this;
    this.waiting = new Array<string>(BULK);
    this.waitingOffsets = new Array<number>(BULK);
    this.waitingCount = this.waitingHead = 0;
    // A short log (most of its bulk trimmed already) keeps its few batches waiting.
    if (to - from < BULK / 2) {
      for (let i = from; i < to; i++) this.wait(waiting[i], waitingOffsets[i]);
      return;
    }
    // Full bulks (the usual case) keep the waiting arrays as they are: new ones were made above.
    const texts = from === 0 ? waiting : waiting.slice(from, to);
    const offsets = from === 0 ? waitingOffsets : waitingOffsets.slice(from, to);
    const ends = new Array<number>(texts.length);
    let end = 0;
    for (let i = 0; i < texts.length; i++) ends[i] = end += texts[i].length;
    // One flat string, copied once: no rope of `BULK` pieces kept (and promoted) with it.
    const text = texts.join('');
    this.bulks.push(new LogBulk(text, offsets, ends));
  }

  private wait(json: string, offset: number): void {
    this.waiting[this.waitingCount] = json;
    this.waitingOffsets[this.waitingCount++] = offset;
  }
}
