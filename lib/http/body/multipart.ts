import { Busboy, type BusboyFileStream } from '@fastify/busboy';
import {
  BadRequestException,
  PayloadTooLargeException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { Transform, type Readable } from 'stream';
import {
  BODY_TOO_LARGE,
  CONTENT_TYPE_MALFORMED,
  FILE_TOO_LARGE,
  MULTIPART_MALFORMED,
  MULTIPART_TOO_LARGE,
  NO_BOUNDARY,
  NOT_MULTIPART,
  NOT_UTF8,
} from '../../sijax.messages';
import { parseMediaType } from './media-type';
import { MultipartMeter } from './multipart-meter';

/** Bounds on a multipart body; each one broken is refused, never truncated. */
export interface MultipartLimits {
  /** Bytes of content: field values, skipped files, preamble and epilogue (the module's bodyLimit). */
  bodyLimit: number;
  /** Most parts (fields + files). @default 1000 */
  maxParts?: number;
  /** Largest header block of one part, in bytes, from just after its boundary. @default 16384 */
  maxHeaderSize?: number;
  /** Longest field name, in UTF-8 bytes. @default 200 */
  maxFieldNameSize?: number;
}

/** One text field, in body order. */
export type MultipartField = [name: string, value: string];

/** A file part as it arrives: its bytes are `stream`, which must be read (or resumed) to go on. */
export interface FilePart {
  readonly field: string;
  readonly filename: string;
  readonly type: string;
  readonly stream: Readable;
}

/** Bounds on the files of an upload; each one broken is refused with 413. */
export interface FileLimits {
  maxFiles: number;
  maxFileSize: number;
  /** Most text fields. */
  maxFields: number;
}

/** What `readMultipart` hands over as the body streams in. */
export interface MultipartHandlers {
  /** Each text field, decoded, once its last byte arrived. */
  field(name: string, value: string): void;
  /**
   * A file part, as it starts: the body goes on once `stream` was consumed and the returned
   * promise resolved; a rejection refuses the body. Without it, files are read and dropped.
   */
  file?(part: FilePart): Promise<void> | void;
}

/** RFC 2046 bcharsnospace; a space is allowed too, but not last. */
const BCHARS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=?";

/**
 * Reads the text fields of a `multipart/form-data` request as it streams in, with
 * `@fastify/busboy`. File parts are read and discarded (counted against bodyLimit).
 * Resolves with the fields in body order, as [name, value] pairs (duplicates kept; the caller decides).
 * Rejects with an HttpException for a bad or too large body, and with the request's own error
 * when the client goes away. On a rejection the rest of the body is left unread.
 */
export async function readMultipartFields(
  req: Readable,
  contentType: string,
  limits: MultipartLimits,
): Promise<MultipartField[]> {
  const fields: MultipartField[] = [];
  await readMultipart(req, contentType, limits, {
    field: (name, value) => fields.push([name, value]),
  });
  return fields;
}

/**
 * Reads a `multipart/form-data` request as it streams in, with `@fastify/busboy`, part by part:
 * text fields to `handlers.field`, files to `handlers.file` (bounded by `files`), or dropped.
 * Field bytes are bounded by `limits.bodyLimit`; without `files`, dropped file bytes count too.
 * Rejects with an HttpException for a bad or too large body (leaving the rest unread), and with
 * the request's own error when the client goes away.
 */
export function readMultipart(
  req: Readable,
  contentType: string,
  limits: MultipartLimits,
  handlers: MultipartHandlers,
  files?: FileLimits,
): Promise<void> {
  const { bodyLimit, maxParts = 1000, maxHeaderSize = 16384, maxFieldNameSize = 200 } = limits;
  return new Promise((resolve, reject) => {
    const boundary = boundaryOf(contentType); // a throw here rejects the promise
    // Content is fields and dropped files, or, with files kept, fields and every file's bytes.
    const content = files ? bodyLimit + files.maxFiles * files.maxFileSize : bodyLimit;
    const meter = new MultipartMeter(boundary, maxHeaderSize, content);
    let fieldBytes = 0;
    let fieldCount = 0;
    let fileCount = 0;
    let settled = false;
    let ended = false;
    let finished = false;
    // Handlers hear the parts in body order, each after the one before was handled: a field's
    // value is complete only at its part's end, which may come after busboy began later parts.
    let order = Promise.resolve();
    const inOrder = (handle: () => Promise<void> | void) => {
      order = order.then(() => (settled ? undefined : handle()));
      order.catch((error: Error) => settle(error));
    };
    const settle = (error?: Error) => {
      if (settled) return;
      if (error === undefined && !finished) return;
      settled = true;
      req.off('data', onData).off('end', onEnd).off('error', settle).off('close', onClose);
      busboy.off('drain', onDrain);
      req.pause(); // after a refusal, neither read nor drain the rest: the caller drops the connection
      if (error === undefined) resolve();
      else reject(error);
    };
    const busboy = new Busboy({
      headers: { 'content-type': `multipart/form-data; boundary="${boundary}"` },
      // Every part arrives as a byte stream: busboy would decode field values itself, lossily.
      isPartAFile: () => true,
      // headerPairs as large as headerSize can never cut a header block short.
      limits: { parts: maxParts, headerSize: maxHeaderSize, headerPairs: maxHeaderSize },
    });
    const onData = (chunk: Buffer) => {
      const verdict = meter.feed(chunk); // before busboy sees the chunk
      if (verdict === 'body-too-large') {
        settle(new PayloadTooLargeException(BODY_TOO_LARGE(content)));
      } else if (verdict === 'header-too-large') {
        settle(tooLarge(`has a part header block larger than ${maxHeaderSize} bytes`));
      } else if (!busboy.write(chunk) && !settled) req.pause();
    };
    const onDrain = () => req.resume();
    const onEnd = () => {
      ended = true;
      busboy.end();
    };
    // Node reports an aborted body as an 'error' first; this covers a stream closed silently.
    const onClose = () => {
      if (!ended) settle(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    };
    const onFile = (part: BusboyFileStream, field: string, filename: string, type: string) => {
      if (!files || !handlers.file) return void part.resume(); // counted by the meter
      if (++fileCount > files.maxFiles)
        return settle(tooLarge(`has more than ${files.maxFiles} files`));
      let size = 0;
      const stream = part.pipe(
        new Transform({
          transform(chunk: Buffer, _encoding, done) {
            size += chunk.length;
            if (size > files.maxFileSize)
              done(new PayloadTooLargeException(FILE_TOO_LARGE(files.maxFileSize)));
            else done(null, chunk);
          },
        }),
      );
      stream.on('error', (error) => settle(error));
      inOrder(() => handlers.file?.({ field, filename, type, stream }));
    };
    const onPart = (
      name: string | undefined,
      part: BusboyFileStream,
      filename: string | undefined,
      _encoding: string,
      mimeType: string,
    ) => {
      part.on('error', () => settle(new BadRequestException(MULTIPART_MALFORMED)));
      if (name === undefined) return void part.resume();
      // busboy decodes names itself, with U+FFFD for bytes that are not UTF-8.
      if (name.includes('\uFFFD')) return settle(new BadRequestException(NOT_UTF8));
      if (Buffer.byteLength(name) > maxFieldNameSize) {
        return settle(tooLarge(`has a field name longer than ${maxFieldNameSize} bytes`));
      }
      // busboy's own rule for files.
      if (filename !== undefined || mimeType === 'application/octet-stream') {
        return onFile(part, name, filename ?? '', mimeType);
      }
      if (files && ++fieldCount > files.maxFields) {
        return settle(tooLarge(`has more than ${files.maxFields} fields`));
      }
      let value = '';
      let read!: () => void;
      const complete = new Promise<void>((resolve) => (read = resolve));
      inOrder(() => complete.then(() => handlers.field(name, value)));
      const decoder = new TextDecoder('utf-8', { fatal: true });
      const decode = (bytes?: Buffer) => {
        try {
          value += decoder.decode(bytes, { stream: bytes !== undefined });
        } catch {
          settle(new BadRequestException(NOT_UTF8));
        }
      };
      part.on('data', (bytes: Buffer) => {
        fieldBytes += bytes.length;
        if (files && fieldBytes > bodyLimit)
          settle(new PayloadTooLargeException(BODY_TOO_LARGE(bodyLimit)));
        else decode(bytes);
      });
      part.on('end', () => {
        decode();
        read();
      });
    };
    busboy.on('file', onPart);
    busboy.on('partsLimit', () => settle(tooLarge(`has more than ${maxParts} parts`)));
    busboy.on('error', () => settle(new BadRequestException(MULTIPART_MALFORMED))); // never echo the input
    busboy.on('finish', () => {
      finished = true;
      order.then(
        () => settle(),
        () => undefined,
      );
    });
    busboy.on('drain', onDrain);
    req.on('data', onData).on('end', onEnd).on('error', settle).on('close', onClose);
  });
}

/** The boundary of a `multipart/form-data` type, checked against RFC 2046. */
function boundaryOf(contentType: string): string {
  const media = parseMediaType(contentType);
  if (media === undefined) throw new BadRequestException(CONTENT_TYPE_MALFORMED);
  if (media.type !== 'multipart/form-data') throw new UnsupportedMediaTypeException(NOT_MULTIPART);
  const boundary = media.params.get('boundary') ?? '';
  let valid = boundary.length > 0 && boundary.length <= 70 && !boundary.endsWith(' ');
  for (let i = 0; valid && i < boundary.length; i++) {
    valid = boundary[i] === ' ' || BCHARS.includes(boundary[i]);
  }
  if (!valid) throw new BadRequestException(NO_BOUNDARY);
  return boundary;
}

function tooLarge(what: string): PayloadTooLargeException {
  return new PayloadTooLargeException(MULTIPART_TOO_LARGE(what));
}
