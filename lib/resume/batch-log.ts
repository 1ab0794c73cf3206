import type { CallLogEntry } from './call-store';

/**
 * What a kept batch costs besides its JSON: the line feed that ends it in its bulk, and its share
 * of the bulk's record.
 */
export const BATCH_OVERHEAD = 2;
/** Batches joined into one string together: one flat string per this many, not one per batch. */
const BULK = 64;
/**
 * Between two batches in a bulk. A batch's JSON is one line (`JSON.stringify` escapes every line
 * break a payload may hold; the event stream's frames rely on it too), so no batch holds one.
 */
const SEPARATOR = '\n';

/**
 * Consecutive batches of one log: their JSON joined by line feeds into one flat string. Offsets
 * go up by one per batch, so the first one says them all.
 */
class LogBulk {
  constructor(
    readonly text: string,
    readonly firstOffset: number,
    readonly count: number,
  ) {}

  /** Its batches' characters, separators not counted. */
  get chars(): number {
    return this.text.length - this.count + 1;
  }
}

/**
 * The kept batches of one call. A batch stays in the log for thousands of batches: as a string
 * and an object each, the young generation's collections would copy them, promote them, then
 * every full collection would mark them until trimmed. Joined by `BULK` into one flat string (no
 * pointers inside for the collector to follow), a kept batch costs its characters and a line
 * feed; a bulk's record is a string and two numbers. The newest batches (fewer than `BULK`) wait
 * as strings and are joined together; a bulk is dropped whole once every batch in it is trimmed.
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
  // A new array for each bulk: a young one, which the collector's write barrier lets through.
  // The first grows as batches come: a log of a few batches (most calls) holds no 64 slots.
  private waiting: string[] = [];
  private waitingFirst = 0;
  private waitingCount = 0;
  /** Waiting batches before this one were dropped before they were joined (a short log). */
  private waitingHead = 0;

  append(offset: number, json: string): void {
    // Offsets go up by one (`CallStore.append`); after a gap, a new bulk starts all the same.
    if (this.waitingCount > 0 && offset !== this.waitingFirst + this.waitingCount) this.store(true);
    this.wait(json, offset);
    this.size += json.length + BATCH_OVERHEAD;
    this.count++;
    if (this.waitingCount === BULK) this.store(false);
  }

  /** The oldest kept batch's offset. */
  get firstOffset(): number | undefined {
    if (this.count === 0) return undefined;
    if (this.bulks.length === 0) return this.waitingFirst + this.waitingHead;
    return this.bulks[0].firstOffset + this.head;
  }

  /** Drops the oldest kept batch. */
  dropOldest(): void {
    this.count--;
    this.size -= BATCH_OVERHEAD;
    if (this.bulks.length === 0) {
      this.size -= this.waiting[this.waitingHead].length;
      this.waiting[this.waitingHead++] = '';
      return;
    }
    const first = this.bulks[0];
    if (++this.head < first.count) return;
    this.bulks.shift();
    this.head = 0;
    this.size -= first.chars;
  }

  /** The kept batches after offset `after`, in order: the first `limit` of them. */
  entriesAfter(after: number, limit = Infinity): CallLogEntry[] {
    const entries: CallLogEntry[] = [];
    let skip = this.head;
    for (const { text, firstOffset, count } of this.bulks) {
      // A bulk wholly at or before `after` is not read (a reconnect asks for the last few).
      if (firstOffset + count - 1 <= after) {
        skip = 0;
        continue;
      }
      // Linear: each line of the bulk is found once, from where the last one ended.
      let start = 0;
      for (let index = 0; index < count; index++) {
        let end = text.indexOf(SEPARATOR, start);
        if (end < 0) end = text.length;
        const offset = firstOffset + index;
        if (index >= skip && offset > after) {
          if (entries.length >= limit) return entries;
          entries.push({ offset, json: text.slice(start, end) });
        }
        start = end + 1;
      }
      skip = 0;
    }
    for (let i = this.waitingHead; i < this.waitingCount; i++) {
      const offset = this.waitingFirst + i;
      if (offset <= after) continue;
      if (entries.length >= limit) break;
      entries.push({ offset, json: this.waiting[i] });
    }
    return entries;
  }

  /** The log takes no more batches: it lets go of the slots kept for the next ones. */
  seal(): void {
    // An array grown by pushes has spare room its length does not show: copied to its size.
    // Dropped slots hold '' (one shared string): the indices stay as they were.
    this.waiting = this.waiting.slice(0, this.waitingCount);
  }

  /** Joins the waiting batches into one bulk (`all`: however few they are). */
  private store(all: boolean): void {
    const { waitingHead: from, waitingCount: to, waiting, waitingFirst } = this;
    this.waiting = new Array<string>(BULK);
    this.waitingCount = this.waitingHead = 0;
    if (from === to) return;
    // A short log (most of its bulk trimmed already) keeps its few batches waiting.
    if (!all && to - from < BULK / 2) {
      for (let i = from; i < to; i++) this.wait(waiting[i], waitingFirst + i);
      return;
    }
    // Full bulks (the usual case) keep the waiting array as it is: a new one was made above.
    const texts = from === 0 && to === BULK ? waiting : waiting.slice(from, to);
    // One flat string, copied once: no rope of `BULK` pieces kept (and promoted) with it.
    this.bulks.push(new LogBulk(texts.join(SEPARATOR), waitingFirst + from, to - from));
  }

  private wait(json: string, offset: number): void {
    if (this.waitingCount === 0) this.waitingFirst = offset;
    this.waiting[this.waitingCount++] = json;
  }
}
