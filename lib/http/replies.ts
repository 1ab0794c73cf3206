import { Logger } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'http';
import { describeFailure, errorCommand, type SijaxFailure } from '../errors/describe-failure';
import type { SijaxCommand } from '../protocol/commands';
import { CLIENT_LEFT, FAILURE_ALERT, REFUSED } from '../sijax.messages';
import { IframeEncoder } from '../transports/iframe/iframe.encoder';

const logger = new Logger('Sijax');
const JSON_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'application/json; charset=utf-8',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
};

/** Answers a regular call: a JSON array of commands, with a length (the whole answer is known). */
export function replyCommands(res: ServerResponse, status: number, commands: SijaxCommand[]): void {
  // A Nest exception filter of the app may have answered already.
  if (res.headersSent || res.destroyed) return;
  let body: string;
  try {
    body = JSON.stringify(commands);
  } catch (error) {
    logger.error('Sijax response could not be encoded as JSON', (error as Error).stack);
    status = 500;
    body = JSON.stringify([errorCommand(describeFailure(error))]);
  }
  res.writeHead(status, { ...JSON_HEADERS, 'Content-Length': String(Buffer.byteLength(body)) });
  res.end(body);
}

/** A departed client: the connection is gone, or the body stopped as the client left. */
function clientLeft(req: IncomingMessage, res: ServerResponse, error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return res.destroyed || (req.socket?.destroyed ?? true) || code === 'ECONNRESET';
}

/** A refusal as bytes: what `refuse` writes, and what a platform hook can send instead. */
export interface Refusal {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * A refusal in the caller's format, logged once (the path quoted, never the body): a script chunk
 * for a form posted into an iframe, JSON commands otherwise. An iframe without a call id is the
 * original client's: it gets an alert, the only failure it can show (it has no processor for
 * `error`).
 */
export function refusal(req: IncomingMessage, error: unknown, callId: string | undefined): Refusal {
  const failure = describeFailure(error);
  const log = REFUSED(req.method ?? '', req.url ?? '', failure.status, failure.message);
  if (failure.status < 500) logger.warn(log);
  else logger.error(log, (error as Error).stack);
  if (req.headers['sec-fetch-dest'] === 'iframe') {
    // With the client's call id, the refusal reaches that call's promise, not just the page.
    const document = IframeEncoder.document([refusalCommand(failure, callId)], callId);
    return { status: failure.status, ...document };
  }
  return {
    status: failure.status,
    headers: JSON_HEADERS,
    body: JSON.stringify([errorCommand(failure)]),
  };
}

/**
 * Refuses a call before any handler ran, with `refusal()`. A body not read to its end is never
 * read on: the answer closes the connection. A client that left gets nothing, and no log above
 * debug.
 */
export function refuse(
  req: IncomingMessage,
  res: ServerResponse,
  error: unknown,
  callId: string | undefined,
): void {
  if (clientLeft(req, res, error)) {
    logger.debug?.(CLIENT_LEFT(req.method ?? '', req.url ?? ''));
    if (!res.destroyed) res.destroy();
    return;
  }
  const { status, headers, body } = refusal(req, error, callId);
  if (res.headersSent) return void res.end();
  if (!req.complete) res.setHeader('Connection', 'close');
  res
    .writeHead(status, { ...headers, 'Content-Length': String(Buffer.byteLength(body)) })
    .end(body);
}

function refusalCommand(failure: SijaxFailure, callId: string | undefined): SijaxCommand {
  return callId ? errorCommand(failure) : { type: 'alert', alert: FAILURE_ALERT(failure.message) };
}
