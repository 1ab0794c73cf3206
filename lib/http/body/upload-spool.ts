import { randomBytes } from 'crypto';
import { createReadStream, createWriteStream } from 'fs';
import { unlink } from 'fs/promises';
import { join } from 'path';
import { pipeline } from 'stream/promises';
import type { UploadedFile } from '../../interfaces';
import type { FilePart } from './multipart';

/**
 * The temporary files of one upload call: each file part written to `tmpDir` as it arrives
 * (never held in memory), all of them removed by `remove()` however the call ended.
 */
export class UploadSpool {
  readonly files: UploadedFile[] = [];
  private readonly paths: string[] = [];
  /** Writes still running, and their sources: a refusal stops them before the files go. */
  private readonly writing = new Map<Promise<void>, FilePart['stream']>();

  constructor(private readonly tmpDir: string) {}

  /** Writes a part to a new temporary file (only the server's user may read it). */
  async write(part: FilePart): Promise<void> {
    const path = join(this.tmpDir, `sijax-upload-${randomBytes(12).toString('hex')}`);
    this.paths.push(path);
    let size = 0;
    part.stream.on('data', (chunk: Buffer) => (size += chunk.length));
    const written = pipeline(part.stream, createWriteStream(path, { mode: 0o600 }));
    this.writing.set(written, part.stream);
    try {
      await written;
    } finally {
      this.writing.delete(written);
    }
    this.files.push({
      field: part.field,
      name: part.filename,
      type: part.type,
      size,
      path,
      stream: () => createReadStream(path),
    });
  }

  /** Removes every file: writes still running are stopped first, so none is left behind. */
  async remove(): Promise<void> {
    const running = [...this.writing];
    for (const [, source] of running) source.destroy();
    await Promise.all(running.map(([written]) => written.catch(() => undefined)));
    await Promise.all(this.paths.splice(0).map((path) => unlink(path).catch(() => undefined)));
  }
}
