import type { UploadPart } from '../../interfaces';

/**
 * The files of a streamed upload as an async iterable, fed by the body reader: each part is
 * handed over as it starts, and the body goes on once the handler read it. A handler that stops
 * iterating lets the remaining parts be skipped.
 */
export class UploadParts implements AsyncIterableIterator<UploadPart> {
  private readonly queue: UploadPart[] = [];
  private waiter?: {
    resolve: (result: IteratorResult<UploadPart>) => void;
    reject: (e: Error) => void;
  };
  private ended = false;
  private failure?: Error;
  private abandoned = false;

  /** A part arrived; resolves once its stream was read to its end (or closed). */
  push(part: UploadPart): Promise<void> {
    const read = new Promise<void>((resolve) => {
      part.stream
        .once('end', resolve)
        .once('close', resolve)
        .once('error', () => resolve());
    });
    if (this.abandoned) part.stream.resume();
    else if (this.waiter) {
      this.waiter.resolve({ done: false, value: part });
      this.waiter = undefined;
    } else this.queue.push(part);
    return read;
  }

  /** No more parts: the body ended. */
  end(): void {
    this.ended = true;
    this.waiter?.resolve({ done: true, value: undefined });
    this.waiter = undefined;
  }

  /** The body failed (too large, the client left): the handler's iteration throws. */
  fail(error: Error): void {
    this.failure ??= error;
    this.waiter?.reject(error);
    this.waiter = undefined;
  }

  next(): Promise<IteratorResult<UploadPart>> {
    const part = this.queue.shift();
    if (part) return Promise.resolve({ done: false, value: part });
    if (this.failure) return Promise.reject(this.failure);
    if (this.ended) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  /** The handler stopped iterating: parts not taken are skipped. */
  return(): Promise<IteratorResult<UploadPart>> {
    this.abandoned = true;
    for (const part of this.queue.splice(0)) part.stream.resume();
    return Promise.resolve({ done: true, value: undefined });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
