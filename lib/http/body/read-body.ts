import { PayloadTooLargeException } from '@nestjs/common';
import type { IncomingMessage } from 'http';
import { BODY_TOO_LARGE } from '../../sijax.messages';

/**
 * Reads a request body that no body parser consumed, refusing more than `limit` bytes: at once
 * when the declared length says so, else as soon as the count passes it.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Not drained: the 413 closes the connection, so no more of the body is read.
        cleanup();
        req.pause();
        reject(tooLarge(limit));
      } else chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const cleanup = () => {
      req.off('data', onData).off('end', onEnd).off('error', onError);
    };
    req.on('data', onData).on('end', onEnd).on('error', onError);
  });
}

function tooLarge(limit: number): PayloadTooLargeException {
  return new PayloadTooLargeException(BODY_TOO_LARGE(limit));
}
