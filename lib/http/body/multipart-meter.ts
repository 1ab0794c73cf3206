/** What a chunk broke, if anything. */
export type MeterVerdict = 'ok' | 'header-too-large' | 'body-too-large';

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');
const DASH = 0x2d;

/**
 * Follows the framing that busboy 3.x (its Dicer) applies to a multipart body, to bound what
 * busboy cannot report: it keeps the first `headerSize` bytes of a part's header block and drops
 * the rest without a word, and it discards the preamble, the epilogue and parts without a
 * form-data disposition unseen. Content bytes (everything but delimiters and header blocks) are
 * counted; header blocks are measured. Linear: each byte is searched a bounded number of times.
 */
export class MultipartMeter {
  /** Bytes of preamble, part bodies and epilogue seen so far. */
  contentBytes = 0;
  private readonly delimiter: Buffer;
  /** Unclassified bytes carried over, that may start a delimiter or a header end. */
  private carry: Buffer = CRLF; // Dicer reads the body as if it began with CRLF
  private carryStart = -CRLF.length; // absolute offset of carry[0]
  private headerStart = -1; // absolute offset of the header block being read, or -1
  private closed = false;

  constructor(
    boundary: string,
    private readonly maxHeaderSize: number,
    private readonly maxContentBytes: number,
  ) {
    this.delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
  }

  /** Classifies the next chunk of the body. */
  feed(chunk: Buffer): MeterVerdict {
    if (this.closed) return this.count(0, 0, chunk.length); // the epilogue
    // The carry and the chunk are read as one, without copying the chunk: this runs per chunk.
    const data = new JoinedBytes(this.carry, chunk);
    const base = this.carryStart;
    let pos = 0;
    for (;;) {
      const next = data.indexOf(this.delimiter, pos, data.length);
      if (this.headerStart >= 0) {
        const limit = next < 0 ? data.length : next;
        // Searched up to the next delimiter only, so a run of short parts stays linear.
        const found = data.indexOf(HEADER_END, pos, limit);
        const end = found < 0 ? -1 : found - pos;
        const size = base + (end < 0 ? limit : pos + end) - this.headerStart;
        // With no end in sight yet, its last 3 bytes may still start the CRLFCRLF.
        if (size > this.maxHeaderSize + (end < 0 && next < 0 ? 3 : 0)) return 'header-too-large';
        if (end < 0 && next < 0) return this.keep(data, base, this.tailStart(data, pos));
        this.headerStart = -1; // ended, or cut off by a delimiter (busboy then skips the part)
        pos = end < 0 ? next : pos + end + HEADER_END.length;
        continue;
      }
      if (next < 0) {
        const keepFrom = this.tailStart(data, pos);
        const verdict = this.count(base, pos, keepFrom);
        return verdict === 'ok' ? this.keep(data, base, keepFrom) : verdict;
      }
      const verdict = this.count(base, pos, next);
      const after = next + this.delimiter.length;
      if (verdict !== 'ok') return verdict;
      // Too early to tell a closing delimiter: look at it again with the next chunk.
      if (after + 2 > data.length) return this.keep(data, base, next);
      if (data.at(after) === DASH && data.at(after + 1) === DASH) {
        this.closed = true; // busboy ignores the rest
        return this.count(base, after + 2, data.length);
      }
      this.headerStart = base + after;
      pos = after;
    }
  }

  /** Where the bytes that may begin a delimiter (or a header end) across chunks start. */
  private tailStart(data: JoinedBytes, pos: number): number {
    return Math.max(pos, data.length - (this.delimiter.length - 1));
  }

  /** Counts data[from, to) as content, leaving out the virtual CRLF before the body. */
  private count(base: number, from: number, to: number): MeterVerdict {
    this.contentBytes += Math.max(0, base + to) - Math.max(0, base + from);
    return this.contentBytes > this.maxContentBytes ? 'body-too-large' : 'ok';
  }

  private keep(data: JoinedBytes, base: number, from: number): MeterVerdict {
    this.carry = data.copyFrom(from); // a copy: do not pin the whole chunk
    this.carryStart = base + from;
    return 'ok';
  }
}

/**
 * A few carried bytes followed by a chunk, read as one buffer. The carry is always short (under
 * a delimiter and two bytes), so what is copied per chunk is too.
 */
class JoinedBytes {
  readonly length: number;

  constructor(
    private readonly head: Buffer,
    private readonly tail: Buffer,
  ) {
    this.length = head.length + tail.length;
  }

  at(index: number): number | undefined {
    const split = this.head.length;
    return index < split ? this.head[index] : this.tail[index - split];
  }

  /** Where `needle` first lies wholly inside [from, to), or -1. */
  indexOf(needle: Buffer, from: number, to: number): number {
    const split = this.head.length;
    if (from < split) {
      // A match that starts in the head ends within the tail's first needle.length - 1 bytes.
      const seam = Buffer.concat([
        this.head.subarray(from),
        this.tail.subarray(0, needle.length - 1),
      ]);
      const found = seam.indexOf(needle);
      // The first match in the seam is the first of all; past `to`, so is every later one.
      if (found >= 0) return from + found + needle.length <= to ? from + found : -1;
    }
    const start = Math.max(from - split, 0);
    const end = to - split;
    if (end - start < needle.length) return -1;
    const found =
      end === this.tail.length
        ? this.tail.indexOf(needle, start)
        : this.tail.subarray(start, end).indexOf(needle);
    if (found < 0) return -1;
    return split + (end === this.tail.length ? found : start + found);
  }

  /** A copy of the bytes from `from` on (few: see the class comment). */
  copyFrom(from: number): Buffer {
    const split = this.head.length;
    if (from >= split) return Buffer.from(this.tail.subarray(from - split));
    return Buffer.concat([this.head.subarray(from), this.tail]);
  }
}
