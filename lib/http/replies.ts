import { Logger } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'http';
import { describeFailure, errorCommand, type SijaxFailure } from '../errors/describe-failure';
import type { SijaxCommand } from '../protocol/commands';
import { CLIENT_LEFT, FAILURE_ALERT, REFUSED } from '../sijax.messages';
import { IframeEncoder } from '../transports/iframe/iframe.encoder';

const logger = new Logger('Sijax');

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
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** A departed client: the connection is gone, or the body stopped as the client left. */
function clientLeft(req: IncomingMessage, res: ServerResponse, error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return res.destroyed || (req.socket?.destroyed ?? true) || code === 'ECONNRESET';
}

/**
 * Refuses a call before any handler ran: a clear status, logged once (the path quoted, never the
 * body), and an answer in the caller's format: a script chunk for a form posted into an iframe,
 * JSON otherwise. An iframe without a call id is the original client's: it gets an alert, the
 * only failure it can show (it has no processor for `error`). A body not read to its end is never
 * read on: the answer closes the connection.
 */
export function refuse(
  req: IncomingMessage,
  res: ServerResponse,
  error: unknown,
  callId: string | undefined,
): void {
  const method = req.method ?? '';
  const path = req.url ?? '';
  if (clientLeft(req, res, error)) {
    logger.debug?.(CLIENT_LEFT(method, path));
    if (!res.destroyed) res.destroy();
    return;
  }
  const failure = describeFailure(error);
  if (failure.status < 500) logger.warn(REFUSED(method, path, failure.status, failure.message));
  else logger.error(REFUSED(method, path, failure.status, failure.message), (error as Error).stack);
  if (res.headersSent) return void res.end();
  if (!req.complete) res.setHeader('Connection', 'close');
  if (req.headers['sec-fetch-dest'] !== 'iframe') {
    return replyCommands(res, failure.status, [errorCommand(failure)]);
  }
  // With the client's call id, the refusal reaches that call's promise, not just the page.
  const { headers, body } = IframeEncoder.document([refusalCommand(failure, callId)], callId);
  res.writeHead(failure.status, headers).end(body);
}

function refusalCommand(failure: SijaxFailure, callId: string | undefined): SijaxCommand {
  return callId ? errorCommand(failure) : { type: 'alert', alert: FAILURE_ALERT(failure.message) };
}
