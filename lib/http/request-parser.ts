import {
  BadRequestException,
  PayloadTooLargeException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import type { IncomingMessage } from 'http';
import { Readable } from 'stream';
import type { CallRequest, ParsedArgs, RunRequest, StreamTransport } from '../core/call-request';
import {
  EVENT_STREAM,
  FIELD_AFTER,
  FIELD_ARGS,
  FIELD_ATTACH,
  FIELD_CALL_ID,
  FIELD_CANCEL,
  FIELD_CSRF,
  FIELD_REQUEST,
  LAST_EVENT_ID_HEADER,
  isCallId,
  parseOffset,
} from '../protocol/wire-names';
import {
  ARGS_TOO_DEEP,
  BAD_OFFSET,
  BODY_TOO_LARGE,
  DUPLICATE_FIELD,
  NOT_SIJAX,
  NOT_UTF8,
  UNSUPPORTED_MEDIA_TYPE,
} from '../sijax.messages';
import { parseMediaType } from './body/media-type';
import { readMultipartFields, type MultipartField } from './body/multipart';
import { readBody } from './body/read-body';
import { nestedDeeperThan, parseJsonArgs } from './json-args';

export interface ParserLimits {
  bodyLimit: number;
  maxJsonDepth: number;
  maxParts: number;
}

/** Reads one field; throws when the body sends it more than once. */
type FieldReader = (name: string) => unknown;
const UTF8 = new TextDecoder('utf-8', { fatal: true });
const notSijax = () => new BadRequestException(NOT_SIJAX(FIELD_REQUEST, FIELD_ARGS));

/** Reads the Sijax fields from a parsed body, or from the raw body when nothing parsed it. */
export function parseCallRequest(
  req: IncomingMessage,
  body: unknown,
  limits: ParserLimits,
): CallRequest | RunRequest | Promise<CallRequest | RunRequest> {
  // Synchronous when a body parser already read the body: no promise on the common path.
  const reader = fieldReader(req, body, limits);
  return reader instanceof Promise
    ? reader.then((field) => readCall(field, req, limits))
    : readCall(reader, req, limits);
}

function readCall(
  field: FieldReader,
  req: IncomingMessage,
  limits: ParserLimits,
): CallRequest | RunRequest {
  const run = readRunRequest(field, req);
  if (run) return run;
  const name = field(FIELD_REQUEST);
  const rawArgs = field(FIELD_ARGS);
  if (typeof name !== 'string' || rawArgs === undefined) throw notSijax();
  const args =
    typeof rawArgs === 'string'
      ? parseJsonArgs(rawArgs, limits.maxJsonDepth)
      : reparse(rawArgs, limits.maxJsonDepth);
  const callId = field(FIELD_CALL_ID);
  const csrfToken = field(FIELD_CSRF);
  return {
    name,
    args,
    callId: isCallId(callId) ? callId : undefined,
    csrfToken: typeof csrfToken === 'string' ? csrfToken : undefined,
    transport: requestedTransport(req),
    after: afterOffset(field, req),
    legacy: !isCallId(callId),
  };
}

/** `sijax_attach=<id>` or `sijax_cancel=<id>`, if the body is one of those. */
function readRunRequest(field: FieldReader, req: IncomingMessage): RunRequest | undefined {
  const attach = field(FIELD_ATTACH);
  const cancel = field(FIELD_CANCEL);
  const id = attach ?? cancel;
  if (id === undefined) return undefined;
  if (!isCallId(id)) throw notSijax();
  const csrfToken = field(FIELD_CSRF);
  return {
    kind: attach !== undefined ? 'attach' : 'cancel',
    callId: id,
    after: afterOffset(field, req) ?? 0,
    transport: requestedTransport(req),
    csrfToken: typeof csrfToken === 'string' ? csrfToken : undefined,
  };
}

/** The offset to resume after: `Last-Event-ID` (fetch) or `sijax_after` (an iframe's form). */
function afterOffset(field: FieldReader, req: IncomingMessage): number | undefined {
  const header = req.headers[LAST_EVENT_ID_HEADER.toLowerCase()];
  const value = typeof header === 'string' ? header : field(FIELD_AFTER);
  if (value === undefined) return undefined;
  const offset = typeof value === 'string' ? parseOffset(value) : undefined;
  if (offset === undefined) throw new BadRequestException(BAD_OFFSET);
  return offset;
}

/** SSE when the client asks for an event stream; an iframe when the browser says it loads one. */
export function requestedTransport(req: IncomingMessage): StreamTransport | undefined {
  if (req.headers.accept?.includes(EVENT_STREAM)) return 'sse';
  return req.headers['sec-fetch-dest'] === 'iframe' ? 'iframe' : undefined;
}

function fieldReader(
  req: IncomingMessage,
  body: unknown,
  limits: ParserLimits,
): FieldReader | Promise<FieldReader> {
  const type = mediaType(req);
  if (isRecord(body) && (Object.keys(body).length > 0 || req.readableEnded)) {
    return parsedBodyReader(body, type === 'application/json');
  }
  const raw = Buffer.isBuffer(body) ? body : typeof body === 'string' ? Buffer.from(body) : null;
  // A declared length over the limit is refused before a byte is read.
  if (!raw && !req.readableEnded && Number(req.headers['content-length']) > limits.bodyLimit) {
    throw new PayloadTooLargeException(BODY_TOO_LARGE(limits.bodyLimit));
  }
  if (type === 'multipart/form-data') {
    // Streamed through the parser as it arrives, never buffered whole.
    const source = raw || req.readableEnded ? Readable.from([raw ?? Buffer.alloc(0)]) : req;
    const header = req.headers['content-type'] ?? '';
    return readMultipartFields(source, header, limits).then(multipartReader);
  }
  if (raw || req.readableEnded) return parseRaw(raw ?? Buffer.alloc(0), type, limits);
  return readBody(req, limits.bodyLimit).then((read) => parseRaw(read, type, limits));
}

/** Multipart fields in body order; a Sijax field sent twice is refused, as in a urlencoded body. */
function multipartReader(fields: MultipartField[]): FieldReader {
  return (name) => {
    let value: string | undefined;
    for (const [field, text] of fields) {
      if (field !== name) continue;
      if (value !== undefined) throw new BadRequestException(DUPLICATE_FIELD(name));
      value = text;
    }
    return value;
  };
}

/**
 * A body the platform parsed. Form fields are strings: an array means the field came twice
 * (Express's urlencoded parser), an object a bracketed name; only JSON may carry an actual array.
 */
function parsedBodyReader(body: Record<string, unknown>, json: boolean): FieldReader {
  return (name) => {
    if (!Object.prototype.hasOwnProperty.call(body, name)) return undefined;
    const value = body[name];
    if (json || typeof value === 'string') return value;
    if (Array.isArray(value)) throw new BadRequestException(DUPLICATE_FIELD(name));
    throw notSijax();
  };
}

function parseRaw(raw: Buffer, type: string, limits: ParserLimits): FieldReader {
  let text: string;
  try {
    text = UTF8.decode(raw);
  } catch {
    throw new BadRequestException(NOT_UTF8);
  }
  if (type === 'application/x-www-form-urlencoded') {
    const params = new URLSearchParams(text);
    return (name) => {
      const values = params.getAll(name);
      if (values.length > 1) throw new BadRequestException(DUPLICATE_FIELD(name));
      return values[0];
    };
  }
  if (type === 'application/json') {
    // Two levels more than the arguments: the wrapping array and the body object.
    const parsed = parseJsonArgs(`[${text}]`, limits.maxJsonDepth + 2);
    if ('error' in parsed || !isRecord(parsed.args[0])) throw notSijax();
    return parsedBodyReader(parsed.args[0], true);
  }
  if (raw.length === 0 && !type) throw notSijax();
  throw new UnsupportedMediaTypeException(UNSUPPORTED_MEDIA_TYPE);
}

/** `type/subtype` of the Content-Type, lowercased: exact, so `jsonx` is not `json`. */
function mediaType(req: IncomingMessage): string {
  const header = req.headers['content-type'];
  if (!header) return '';
  return parseMediaType(header)?.type ?? 'invalid';
}

/** A JSON body's parsed `sijax_args`, checked by the same parser as text ones. */
function reparse(value: unknown, maxDepth: number): ParsedArgs {
  if (nestedDeeperThan(value, maxDepth)) return { error: ARGS_TOO_DEEP(maxDepth) };
  return parseJsonArgs(JSON.stringify(value) ?? '', maxDepth);
}

/**
 * The client's call id, for a refusal answered before the body is read (or when it could not
 * be): from a body a platform parser read, else from the query string, where the bundled client
 * repeats it for forms posted into an iframe.
 */
export function callIdOf(req: IncomingMessage, body: unknown): string | undefined {
  const fromBody = isRecord(body) ? body[FIELD_CALL_ID] : undefined;
  if (isCallId(fromBody)) return fromBody;
  const query = req.url?.indexOf('?') ?? -1;
  if (query < 0) return undefined;
  const fromQuery = new URLSearchParams(req.url!.slice(query + 1)).get(FIELD_CALL_ID);
  return isCallId(fromQuery) ? fromQuery : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value)
  );
}
