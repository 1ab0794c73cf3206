import { HttpException } from '@nestjs/common';
import { ERROR_COMMAND, type SijaxErrorCommand } from '../protocol/commands';
import { INTERNAL_ERROR } from '../sijax.messages';

/**
 * What the client is told about a failure: internals of unexpected errors never leave.
 * @publicApi
 */
export interface SijaxFailure {
  status: number;
  message: string;
  name: string;
}

export function describeFailure(error: unknown): SijaxFailure {
  if (!(error instanceof HttpException)) {
    return { status: 500, message: INTERNAL_ERROR, name: 'InternalServerError' };
  }
  return { status: error.getStatus(), message: httpMessage(error), name: error.constructor.name };
}

/** The `error` command the client turns into a rejection, a `sijax:error` event and a log. */
export function errorCommand({ status, message, name }: SijaxFailure): SijaxErrorCommand {
  return { type: ERROR_COMMAND, error: message, status, name };
}

/** An HttpException's message as written; ValidationPipe's list joined. */
function httpMessage(error: HttpException): string {
  const body = error.getResponse();
  if (typeof body === 'string') return body;
  const message = (body as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : error.message;
}
