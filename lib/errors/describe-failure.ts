import { HttpException } from '@nestjs/common';
import type { SijaxCommand } from '../response/sijax-command.interface';

/** What the client is told about an error: internals of unexpected errors never leave. */
export interface Failure {
  status: number;
  message: string;
  name: string;
}

export function describeFailure(error: unknown): Failure {
  if (!(error instanceof HttpException)) {
    return { status: 500, message: 'Internal server error', name: 'InternalServerError' };
  }
  return { status: error.getStatus(), message: httpMessage(error), name: error.constructor.name };
}

/** The `error` command the client turns into a rejection, a `sijax:error` event and a log. */
export function errorCommand({ status, message, name }: Failure): SijaxCommand {
  return { type: 'error', error: message, status, name };
}

/** An HttpException's message as written; ValidationPipe's list joined. */
function httpMessage(error: HttpException): string {
  const body = error.getResponse();
  if (typeof body === 'string') return body;
  const message = (body as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : error.message;
}
