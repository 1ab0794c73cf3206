import { CSRF_HEADER, FIELD_ARGS, FIELD_CALL_ID, FIELD_REQUEST } from '../lib/protocol/wire-names';
import type { Call } from './calls';
import { getCsrfToken, getRequestUri } from './config';

/** The POST fields of a call: user `data` first, so the protocol fields win. */
export function postFields(call: Call, args: unknown[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(call.options.data || {})) fields[key] = String(value);
  fields[FIELD_REQUEST] = call.name;
  fields[FIELD_ARGS] = JSON.stringify(args);
  fields[FIELD_CALL_ID] = call.id;
  return fields;
}

/** Headers of a fetch call: what it accepts, and the CSRF token when there is one. */
export function postHeaders(accept: string): Record<string, string> {
  const headers: Record<string, string> = { Accept: accept, 'X-Requested-With': 'XMLHttpRequest' };
  const token = getCsrfToken();
  if (token) headers[CSRF_HEADER] = token;
  return headers;
}

/** POSTs fields with fetch to the call's endpoint, with the page's cookies. */
export const postForm = (
  call: Call,
  fields: Record<string, string>,
  headers: Record<string, string>,
  init: RequestInit,
): Promise<Response> =>
  fetch(call.options.url || getRequestUri(), {
    method: 'POST',
    body: new URLSearchParams(fields),
    headers,
    credentials: 'same-origin',
    ...init,
  });
