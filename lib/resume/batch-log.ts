import type { CallLogEntry } from './call-store';

/** What a kept batch costs besides its JSON: its offset and where it ends, in the index. */
export const BATCH_OVERHEAD = 16;
/** Batches copied into a segment together: one write per this many, not one per batch. */
const BULK = 64;
/** The first segment's size; each next one doubles, up to the largest. */
const FIRST_SEGMENT_BYTES = 8 * 1024;
const LARGEST_SEGMENT_BYTES = 256 * 1024;

/** Consecutive batches of one log: their JSON as UTF-8 in one buffer, where each one ends. */
class LogSegment {
  readonly offsets: number[] = [];
  readonly ends: number[] = [];
  used = 0;

  constructor(readonly bytes: Buffer) {}

  start(index: number): number {
    return index === 0 ? 0 : this.ends[index - 1];
  }
}

/**
 * The kept batches of one call, off the JS heap: a batch stays in the log for thousands of
 * batches, so as objects and strings each would be copied by the young generation's collections,
 * promoted, then marked by every full collection until trimmed. In buffers the collector does not
 * look inside, a kept batch costs its UTF-8 bytes and two numbers. The newest batches (fewer than
 * `BULK`) wait as strings and go into the buffer together; segments are dropped whole once every
 * batch in them is trimmed.
 */
export class BatchLog {
  /** Batches kept. */
  count = 0;
  /** What the kept batches cost: UTF-8 bytes (UTF-16 units while waiting) plus the overhead. */
  size = 0;
  private segments: LogSegment[] = [];
  /** The oldest kept batch's index in the first segment. */
  private head = 0;
  private nextSize = FIRST_SEGMENT_BYTES;
  /** A dropped segment of the largest size, for the next one: no new memory for a long call. */
  private spare: Buffer | undefined = undefined;
  // New arrays for each bulk: young ones, which the collector's write barrier lets through.
  private waiting: string[] = new Array<string>(BULK);
  private waitingOffsets: number[] = new Array<number>(BULK);
  private waitingCount = 0;
  /** Waiting batches before this one were dropped before they were stored (a short log). */
  private waitingHead = 0;

  append(offset: number, json: string): void {
    this.waiting[this.waitingCount] = json;
    this.waitingOffsets[this.waitingCount] = offset;
    this.size += json.length + BATCH_OVERHEAD;
    this.count++;
    if (++this.waitingCount === BULK) this.store();
  }

  /** The oldest kept batch's offset. */
  get firstOffset(): number | undefined {
    if (this.count === 0) return undefined;
    if (this.count === this.waitingCount - this.waitingHead) {
      return this.waitingOffsets[this.waitingHead];
    }
    return this.segments[0].offsets[this.head];
  }

  /** Drops the oldest kept batch. */
  dropOldest(): void {
    this.count--;
    if (this.count + 1 === this.waitingCount - this.waitingHead) {
      const json = this.waiting[this.waitingHead];
      this.waiting[this.waitingHead++] = '';
      this.size -= json.length + BATCH_OVERHEAD;
      return;
    }
    const first = this.segments[0];
    this.size -= first.ends[this.head] - first.start(this.head) + BATCH_OVERHEAD;
    if (++this.head === first.offsets.length) {
      this.segments.shift();
      this.head = 0;
      if (first.bytes.length === LARGEST_SEGMENT_BYTES) this.spare = first.bytes;
    }
  }

  /** The kept batches after offset `after`, in order. */
  entriesAfter(after: number): CallLogEntry[] {
    this.store();
    const entries: CallLogEntry[] = [];
    let index = this.head;
    for (const segment of this.segments) {
      for (; index < segment.offsets.length; index++) {
        const offset = segment.offsets[index];
        if (offset <= after) continue;
        const json = segment.bytes.toString('utf8', segment.start(index), segment.ends[index]);
        entries.push({ offset, json });
      }
      index = 0;
    }
    return entries;
  }

  /** Copies the waiting batches into the newest segment, in one write. */
  private store(): void {
    const { waitingHead: from, waitingCount: to } = this;
    if (from === to) return this.clearWaiting();
    let text = '';
    for (let i = from; i < to; i++) text += this.waiting[i];
    let segment = this.segments[this.segments.length - 1];
    // UTF-8 takes at most 3 bytes per UTF-16 unit: measure only when that may not fit.
    if (segment === undefined || segment.bytes.length - segment.used < text.length * 3) {
      const bytes = Buffer.byteLength(text);
      if (segment === undefined || segment.bytes.length - segment.used < bytes) {
        segment = this.addSegment(bytes);
      }
    }
    const written = segment.bytes.write(text, segment.used);
    // All ASCII (one byte per unit, the usual case): each batch's end follows from its length.
    const ascii = written === text.length;
    let end = segment.used;
    for (let i = from; i < to; i++) {
      const json = this.waiting[i];
      end += ascii ? json.length : Buffer.byteLength(json);
      segment.offsets.push(this.waitingOffsets[i]);
      segment.ends.push(end);
    }
    segment.used += written;
    this.size += written - text.length;
    this.clearWaiting();
  }

  private clearWaiting(): void {
    if (this.waitingCount === 0) return;
    this.waiting = new Array<string>(BULK);
    this.waitingOffsets = new Array<number>(BULK);
    this.waitingCount = this.waitingHead = 0;
  }

  private addSegment(atLeast: number): LogSegment {
    const size = Math.max(this.nextSize, atLeast);
    const spare = this.spare;
    this.spare = undefined;
    // Unpooled: a slice of Node's shared pool would keep the whole pool alive.
    const bytes = spare?.length === size ? spare : Buffer.allocUnsafeSlow(size);
    const segment = new LogSegment(bytes);
    this.nextSize = Math.min(this.nextSize * 2, LARGEST_SEGMENT_BYTES);
    this.segments.push(segment);
    return segment;
  }
}
