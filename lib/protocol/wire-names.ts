/**
 * Names on the wire, shared by the server and the browser client (which compiles this folder in),
 * so that neither side restates the other. No Node imports anywhere in `protocol/`.
 */

/** `sijax_rq`: the public name of the function called (Sijax 0.3). */
export const FIELD_REQUEST = 'sijax_rq';
/** `sijax_args`: the JSON array of arguments (Sijax 0.3). */
export const FIELD_ARGS = 'sijax_args';
/** The client's id for one call, echoed back so that commands reach that call's handle. */
export const FIELD_CALL_ID = 'sijax_call';
/** The double-submit CSRF token, as a form field (forms posted into an iframe send no headers). */
export const FIELD_CSRF = 'sijax_csrf';

/** A resumable call's re-post or attach over an iframe: the last offset its page processed. */
export const FIELD_AFTER = 'sijax_after';
/** Follows a running (or recently ended) resumable call by its id, without running anything. */
export const FIELD_ATTACH = 'sijax_attach';
/** Stops a resumable call by its id, wherever it runs. */
export const FIELD_CANCEL = 'sijax_cancel';

/** A resumable call's re-post or attach over fetch: the last offset its page processed. */
export const LAST_EVENT_ID_HEADER = 'Last-Event-ID';
/** Set on the answer of a resumable call over fetch: a cut stream may be resumed. */
export const RESUMABLE_HEADER = 'X-Sijax-Resumable';

/** The double-submit CSRF token, as a header (fetch). */
export const CSRF_HEADER = 'X-Sijax-CSRF';
/** The cookie holding the CSRF token over plain HTTP... */
export const CSRF_COOKIE = 'sijax_csrf';
/** ...and over HTTPS, where the `__Host-` prefix stops subdomains and plain HTTP from setting it. */
export const CSRF_COOKIE_SECURE = '__Host-sijax_csrf';
/** A page may hand the client its token in `<meta name="sijax-csrf-token" content="...">`. */
export const CSRF_META = 'sijax-csrf-token';

/** The client is served at `{path}/sijax.js`; calls are posted to `{path}`. */
export const CLIENT_FILE_NAME = 'sijax.js';
export const DEFAULT_SIJAX_PATH = '/sijax';

/** What the fetch transport asks for, and the type of its streamed answer. */
export const EVENT_STREAM = 'text/event-stream';

/** Shortest id of a resumable call: 22 base64url characters hold 128 random bits. */
export const RESUMABLE_ID_LENGTH = 22;

/**
 * A batch's offset as the wire carries it (`Last-Event-ID`, `sijax_after`, a store's messages):
 * 1 to 15 decimal digits, read linearly; undefined for anything else (`Number()` would also take
 * '', ' 1', '0x1f' and '1e3').
 */
export function parseOffset(value: string): number | undefined {
  if (value.length === 0 || value.length > 15) return undefined;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  return Number(value);
}

/** A call id the server accepts and echoes: URL-safe, short. */
export function isCallId(value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 64) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    const ok =
      (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 95;
    if (!ok) return false;
  }
  return true;
}
