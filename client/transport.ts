import { fail, openCall } from './calls';
import type { Call } from './calls';
import { getCsrfToken, getRequestUri } from './config';
import { processCommands } from './process';
import { FIELD_ARGS, FIELD_CALL_ID, FIELD_REQUEST, CSRF_HEADER } from '../lib/protocol/wire-names';
import type { CallOptions, SijaxCall, SijaxCommand } from './types';
import { sjxError } from './util';

/** The POST fields of a call: user `data` first, so the protocol fields win. */
export function postFields(call: Call, args: unknown[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(call.options.data || {})) fields[key] = String(value);
  fields[FIELD_REQUEST] = call.name;
  fields[FIELD_ARGS] = JSON.stringify(args);
  fields[FIELD_CALL_ID] = call.id;
  return fields;
}

/** A regular call: one POST answered by a JSON array of commands. */
export function request<T = unknown>(
  name: string,
  args: unknown[] = [],
  options: CallOptions = {},
): SijaxCall<T> {
  const controller = new AbortController();
  const [call, handle] = openCall(name, args, options, () => controller.abort());
  const token = getCsrfToken();
  const headers: Record<string, string> = {
    Accept: 'application/json',
    'X-Requested-With': 'XMLHttpRequest',
  };
  if (token) headers[CSRF_HEADER] = token;
  fetch(options.url || getRequestUri(), {
    method: 'POST',
    body: new URLSearchParams(postFields(call, args)),
    headers,
    credentials: 'same-origin',
    signal: controller.signal,
  })
    .then(async (response) => {
      const text = await response.text();
      let commands: unknown;
      try {
        commands = JSON.parse(text);
      } catch {
        // Not JSON (an HTML error page...): reported below with the status.
      }
      const ok = Array.isArray(commands);
      if (ok) processCommands(commands as SijaxCommand[], call.id);
      if (!call.error && !(ok && response.ok)) {
        const message = response.ok ? 'Invalid Sijax response' : 'HTTP ' + response.status;
        throw sjxError(message, response.status, response.ok ? 'ParseError' : 'HttpError');
      }
      call.settle();
    })
    .catch((e: Error & { status?: number }) =>
      fail(call, e.status === undefined ? sjxError(e.message, 0, 'NetworkError') : e),
    );
  return handle as SijaxCall<T>;
}
