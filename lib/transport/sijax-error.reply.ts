import { Logger } from '@nestjs/common';
import { describeFailure, errorCommand } from '../errors/describe-failure';
import type { IncomingMessage, ServerResponse } from 'http';
import type { SijaxCommand } from '../response/sijax-command.interface';
import { cometHeaders, createNonce } from './iframe-stream.writer';
import { createChunkFrame, scriptChunk } from './script-chunk';

const logger = new Logger('Sijax');

/** Answers a regular call: a JSON array of commands. */
export function sendCommands(res: ServerResponse, status: number, commands: SijaxCommand[]): void {
  // A Nest exception filter of the app may have answered already.
  if (res.headersSent) return;
  let body: string;
  try {
    body = JSON.stringify(commands);
  } catch (error) {
    logger.error('Sijax response could not be encoded as JSON', (error as Error).stack);
    status = 500;
    body = JSON.stringify([errorCommand(describeFailure(error))]);
  }
  // A length, not chunked encoding: the whole answer is known.
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

/**
 * Refuses a request before any handler ran: a clear status, logged once, and an error the client
 * can handle: a script chunk for a form posted into an iframe, JSON otherwise.
 */
export function refuse(
  req: IncomingMessage,
  res: ServerResponse,
  error: unknown,
  callId?: string,
): void {
  const failure = describeFailure(error);
  const { status, message } = failure;
  const command = errorCommand(failure);
  if (status < 500) logger.warn(`Refused ${req.method} ${req.url}: ${status} ${message}`);
  else logger.error(`Failed ${req.method} ${req.url}`, (error as Error).stack ?? String(error));
  if (res.headersSent) return void res.end();
  if (req.headers['sec-fetch-dest'] === 'iframe') {
    const nonce = createNonce();
    // With the client's call id, the refusal reaches that call's promise, not just the page.
    const chunk = scriptChunk(createChunkFrame(callId, nonce), [command]);
    res.writeHead(status, cometHeaders(nonce)).end(chunk);
  } else {
    sendCommands(res, status, [command]);
  }
}
