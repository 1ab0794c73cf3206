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
    const data = Buffer.concat([this.carry, chunk]);
    const base = this.carryStart;
    let pos = 0;
    for (;;) {
      const next = data.indexOf(this.delimiter, pos);
      if (this.headerStart >= 0) {
        const limit = next < 0 ? data.length : next;
        // Searched up to the next delimiter only, so a run of short parts stays linear.
        const end = data.subarray(pos, limit).indexOf(HEADER_END);
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
      if (data[after] === DASH && data[after + 1] === DASH) {
        this.closed = true; // busboy ignores the rest
        return this.count(base, after + 2, data.length);
      }
      this.headerStart = base + after;
      pos = after;
    }
  }

  /** Where the bytes that may begin a delimiter (or a header end) across chunks start. */
  private tailStart(data: Buffer, pos: number): number {
    return Math.max(pos, data.length - (this.delimiter.length - 1));
  }

  /** Counts data[from, to) as content, leaving out the virtual CRLF before the body. */
  private count(base: number, from: number, to: number): MeterVerdict {
    this.contentBytes += Math.max(0, base + to) - Math.max(0, base + from);
    return this.contentBytes > this.maxContentBytes ? 'body-too-large' : 'ok';
  }

  private keep(data: Buffer, base: number, from: number): MeterVerdict {
    this.carry = Buffer.from(data.subarray(from)); // a copy: do not pin the whole chunk
    this.carryStart = base + from;
    return 'ok';
  }
}
