import type { CallLogEntry } from './call-store';

/** What a kept batch costs besides its JSON: its offset and where it ends, in the index. */
export const BATCH_OVERHEAD = 16;
/** Batches copied into a segment together: one write per this many, not one per batch. */
const BULK = 64;
/** The first segment's size; each next one doubles, up to the largest. */
const FIRST_SEGMENT_BYTES = 8 * 1024;
const LARGEST_SEGMENT_BYTES = 32 * 1024;

/** `strings[from..to)` as one string (a rope: the buffer write flattens it once). */
function joined(strings: string[], from: number, to: number): string {
  let text = '';
  for (let i = from; i < to; i++) text += strings[i];
  return text;
}

/** Consecutive batches of one log: their JSON as UTF-8 in one buffer, where each one ends. */
class LogSegment {
  readonly offsets: number[] = [];
  readonly ends: number[] = [];
  used = 0;

  constructor(readonly bytes: Buffer) {}

  json(index: number): string {
    return this.bytes.toString('utf8', index === 0 ? 0 : this.ends[index - 1], this.ends[index]);
  }
}

/**
 * The kept batches of one call, off the JS heap: a batch stays in the log for thousands of
 * batches, so as objects and strings each would be copied by the young generation's collections,
 * promoted, then marked by every full collection until trimmed. In buffers the collector does not
 * look inside, a kept batch costs its UTF-8 bytes and two numbers. The newest batches (fewer than
 * `BULK`) wait as strings and go into the buffer together; segments are dropped whole once every
 * batch in them is trimmed.
 *
 * `size` is what the log holds: the buffers it allocated (filled or not, and one dropped
 * segment kept for the next), the waiting batches' JSON, and `BATCH_OVERHEAD` per batch.
 */
export class BatchLog {
  /** Batches kept. */
  count = 0;
  size = 0;
  private readonly segments: LogSegment[] = [];
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
    return this.segments[0].offsets[this.head];
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
    const first = this.segments[0];
    if (++this.head < first.offsets.length) return;
    this.segments.shift();
    this.head = 0;
    if (first.bytes.length === LARGEST_SEGMENT_BYTES && this.spare === undefined) {
      this.spare = first.bytes;
    } else this.size -= first.bytes.length;
  }

  /** Lets go of the segment kept for the next one: the log grows no more, or must shrink. */
  releaseSpare(): void {
    if (this.spare === undefined) return;
    this.size -= this.spare.length;
    this.spare = undefined;
  }

  /** The kept batches after offset `after`, in order. */
  entriesAfter(after: number): CallLogEntry[] {
    const entries: CallLogEntry[] = [];
    let index = this.head;
    for (const segment of this.segments) {
      for (; index < segment.offsets.length; index++) {
        const offset = segment.offsets[index];
        if (offset > after) entries.push({ offset, json: segment.json(index) });
      }
      index = 0;
    }
    for (let i = this.waitingHead; i < this.waitingCount; i++) {
      const offset = this.waitingOffsets[i];
      if (offset > after) entries.push({ offset, json: this.waiting[i] });
    }
    return entries;
  }

  /** Copies the waiting batches into the newest segment, in one write. */
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
    const text = joined(waiting, from, to);
    let segment = this.segments[this.segments.length - 1];
    // UTF-8 takes at most 3 bytes per UTF-16 unit: when that fits, no need to measure anything.
    const room = segment === undefined ? 0 : segment.bytes.length - segment.used;
    const textBytes = room >= text.length * 3 ? 0 : Buffer.byteLength(text);
    if (segment !== undefined && textBytes <= room) {
      this.write(segment, text, waiting, waitingOffsets, from, to);
    } else {
      const ascii = textBytes === text.length;
      // Measured once here, for the split and for where each batch ends.
      const sizes = new Array<number>(to);
      let start = from;
      let bytes = 0;
      for (let i = from; i < to; i++) {
        const size = (sizes[i] = ascii ? waiting[i].length : Buffer.byteLength(waiting[i]));
        // What does not fit starts the next segment: no room is left unused but the last one's.
        if (segment === undefined || segment.bytes.length - segment.used - bytes < size) {
          if (i > start) {
            const part = joined(waiting, start, i);
            this.write(segment, part, waiting, waitingOffsets, start, i, sizes);
          }
          segment = this.addSegment(size);
          [start, bytes] = [i, 0];
        }
        bytes += size;
      }
      const rest = start === from ? text : joined(waiting, start, to);
      this.write(segment, rest, waiting, waitingOffsets, start, to, sizes);
    }
    this.size -= text.length;
  }

  /**
   * Copies batches `from` to `to` (excluded), joined in `text`, into `segment`, which has room;
   * `sizes`: their UTF-8 sizes when measured already.
   */
  private write(
    segment: LogSegment,
    text: string,
    waiting: string[],
    offsets: number[],
    from: number,
    to: number,
    sizes?: number[],
  ): void {
    const written = segment.bytes.write(text, segment.used);
    // All ASCII (the usual case): each batch's end follows from its length.
    const ascii = written === text.length;
    let end = segment.used;
    for (let i = from; i < to; i++) {
      end += sizes ? sizes[i] : ascii ? waiting[i].length : Buffer.byteLength(waiting[i]);
      segment.offsets.push(offsets[i]);
      segment.ends.push(end);
    }
    segment.used = end;
  }

  private wait(json: string, offset: number): void {
    this.waiting[this.waitingCount] = json;
    this.waitingOffsets[this.waitingCount++] = offset;
  }

  private addSegment(atLeast: number): LogSegment {
    const size = Math.max(this.nextSize, atLeast);
    this.nextSize = Math.min(this.nextSize * 2, LARGEST_SEGMENT_BYTES);
    let bytes = this.spare;
    if (bytes?.length === size) this.spare = undefined;
    else {
      // Unpooled: a slice of Node's shared pool would keep the whole pool alive.
      bytes = Buffer.allocUnsafeSlow(size);
      this.size += size;
    }
    const segment = new LogSegment(bytes);
    this.segments.push(segment);
    return segment;
  }
}
