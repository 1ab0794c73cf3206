import { BadRequestException, UnsupportedMediaTypeException } from '@nestjs/common';
import type { IncomingMessage } from 'http';
import { PARAM_ARGS, PARAM_CALL_ID, PARAM_CSRF, PARAM_REQUEST } from '../sijax.constants';
import { nestedDeeperThan, parseJsonArgs, tooDeep, type ParsedArgs } from './json-args.util';
import { parseMultipartFields } from './multipart.util';
import { readBody } from './read-body.util';

/** One Sijax call as posted by the browser. */
export interface SijaxCall {
  /** `sijax_rq`: the public function name. */
  readonly name: string;
  /** `sijax_args` decoded, or why it could not be. */
  readonly args: ParsedArgs;
  /** `sijax_call`: the client's id for this call, echoed in Comet chunks. */
  readonly callId?: string;
  /** `sijax_csrf`: a CSRF token sent as a form field. */
  readonly csrfToken?: string;
  /** Posted by a form into an iframe, so errors must be answered as script chunks. */
  readonly iframe: boolean;
}

export interface ParserLimits {
  bodyLimit: number;
  maxJsonDepth: number;
}

type FieldReader = (name: string) => unknown;
const NOT_SIJAX = `Not a Sijax request: POST the fields ${PARAM_REQUEST} and ${PARAM_ARGS}`;
const CALL_ID = /^[\w-]{1,64}$/;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Reads the Sijax fields from a parsed body, or from the raw body when nothing parsed it. */
export function parseSijaxRequest(
  req: IncomingMessage,
  body: unknown,
  limits: ParserLimits,
): SijaxCall | Promise<SijaxCall> {
  // Synchronous when a body parser already read the body: no promise on the common path.
  const reader = fieldReader(req, body, limits.bodyLimit);
  return reader instanceof Promise
    ? reader.then((field) => readCall(field, req, limits))
    : readCall(reader, req, limits);
}

function readCall(field: FieldReader, req: IncomingMessage, limits: ParserLimits): SijaxCall {
  const name = field(PARAM_REQUEST);
  const rawArgs = field(PARAM_ARGS);
  if (typeof name !== 'string' || rawArgs === undefined) throw new BadRequestException(NOT_SIJAX);
  const args =
    typeof rawArgs === 'string'
      ? parseJsonArgs(rawArgs, limits.maxJsonDepth)
      : reparse(rawArgs, limits.maxJsonDepth);
  const callId = field(PARAM_CALL_ID);
  const csrfToken = field(PARAM_CSRF);
  return {
    name,
    args,
    callId: validCallId(callId),
    csrfToken: typeof csrfToken === 'string' ? csrfToken : undefined,
    iframe: req.headers['sec-fetch-dest'] === 'iframe',
  };
}

function fieldReader(
  req: IncomingMessage,
  body: unknown,
  limit: number,
): FieldReader | Promise<FieldReader> {
  if (isRecord(body) && (Object.keys(body).length > 0 || req.readableEnded)) {
    return (name) => (Object.prototype.hasOwnProperty.call(body, name) ? body[name] : undefined);
  }
  const raw = Buffer.isBuffer(body) ? body : typeof body === 'string' ? Buffer.from(body) : null;
  if (raw || req.readableEnded) return parseRaw(raw ?? Buffer.alloc(0), req);
  return readBody(req, limit).then((read) => parseRaw(read, req));
}

function parseRaw(raw: Buffer, req: IncomingMessage): FieldReader {
  const header = req.headers['content-type'] ?? '';
  const contentType = header.toLowerCase();
  if (contentType.startsWith('multipart/form-data')) {
    const fields = parseMultipartFields(raw, header); // boundaries are case-sensitive
    return (name) => fields.get(name);
  }
  let text: string;
  try {
    text = UTF8.decode(raw);
  } catch {
    throw new BadRequestException('Sijax request body is not valid UTF-8');
  }
  if (contentType.startsWith('application/x-www-form-urlencoded')) {
    const params = new URLSearchParams(text);
    return (name) => (params.getAll(name).length === 1 ? params.get(name) : undefined);
  }
  if (contentType.startsWith('application/json')) {
    const parsed = parseJsonArgs(`[${text}]`, 64);
    if ('error' in parsed || !isRecord(parsed.args[0])) throw new BadRequestException(NOT_SIJAX);
    const body = parsed.args[0];
    return (name) => (Object.prototype.hasOwnProperty.call(body, name) ? body[name] : undefined);
  }
  if (raw.length === 0 && !contentType) throw new BadRequestException(NOT_SIJAX);
  throw new UnsupportedMediaTypeException(
    'Sijax accepts application/x-www-form-urlencoded, multipart/form-data or application/json',
  );
}

/** A JSON body's parsed `sijax_args`, checked by the same parser as text ones. */
function reparse(value: unknown, maxDepth: number): ParsedArgs {
  if (nestedDeeperThan(value, maxDepth)) return { error: tooDeep(maxDepth) };
  return parseJsonArgs(JSON.stringify(value) ?? '', maxDepth);
}

function validCallId(value: unknown): string | undefined {
  return typeof value === 'string' && CALL_ID.test(value) ? value : undefined;
}

/** The client's call id from a body a platform parser already read, for early refusals. */
export function callIdOf(body: unknown): string | undefined {
  return isRecord(body) ? validCallId(body[PARAM_CALL_ID]) : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value)
  );
}
