import { fail, openCall, type Call } from './calls';
import { postFields, postForm, postHeaders } from './post';
import { processCommands } from './process';
import type { CallOptions, SijaxCall, SijaxCommand } from './types';
import { sjxError } from './util';

/**
 * Reads a JSON array of commands: a regular call's answer, or a refusal of any call. Runs them,
 * then fails the call on an HTTP error (unless an error command already did): throws.
 */
export function readCommands(call: Call, status: number, text: string): void {
  let commands: unknown;
  try {
    commands = JSON.parse(text);
  } catch {
    // Not JSON (an HTML error page...): reported below with the status.
  }
  const ok = Array.isArray(commands);
  const success = status > 199 && status < 300;
  if (ok) processCommands(commands as SijaxCommand[], call.id);
  if (!call.error && !(ok && success)) {
    const message = success ? 'Invalid Sijax response' : 'HTTP ' + status;
    throw sjxError(message, status, success ? 'ParseError' : 'HttpError');
  }
}

/** Reports a failure of fetch itself as a network error; errors of ours pass as they are. */
export const failWith = (call: Call) => (e: Error & { status?: number }) =>
  fail(call, e.status === undefined ? sjxError(e.message, 0, 'NetworkError') : e);

/** A regular call: one POST answered by a JSON array of commands. */
export function request<T = unknown>(
  name: string,
  args: unknown[] = [],
  options: CallOptions = {},
): SijaxCall<T> {
  const controller = new AbortController();
  const [call, handle] = openCall(name, args, options, () => controller.abort());
  const headers = postHeaders('application/json');
  postForm(call, postFields(call, args), headers, { signal: controller.signal })
    .then(async (response) => readCommands(call, response.status, await response.text()))
    .then(() => call.settle(), failWith(call));
  return handle as SijaxCall<T>;
}
