/** Every message the library logs, throws or sends, so that tests can assert them. */

/** Longest part of a client-given name that reaches the log. */
const LOGGED_NAME_LENGTH = 80;

/**
 * A client-given name as it may appear in a log line: quoted, control characters escaped (no
 * forged lines, no terminal escapes), and cut to a sane length.
 */
export function quoteForLog(name: string): string {
  const cut = name.length > LOGGED_NAME_LENGTH;
  const shown = JSON.stringify(cut ? name.slice(0, LOGGED_NAME_LENGTH) : name).replace(
    /[\u007f-\u009f\u2028\u2029]/g,
    (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'),
  );
  return cut ? `${shown}... (${name.length} characters)` : shown;
}

// Start-up
export const DUPLICATE_HANDLER = (name: string, first: string, second: string) =>
  `Sijax function "${name}" is registered twice: by ${first} and by ${second}. Rename one with @SijaxCallback('other_name') or @CometCallback('other_name').`;
export const RESERVED_HANDLER_NAME = (name: string, owner: string) =>
  `Sijax function name "${name}" (${owner}) is reserved: it would expose object internals. Choose another name.`;
export const YIELDING_REGULAR_HANDLER = (owner: string) =>
  `${owner} is a generator, but regular Sijax functions cannot stream: register it with @CometCallback() or @CometHandler().`;
export const NON_STATIC_HANDLER = (owner: string) =>
  `${owner} is request-scoped (or depends on a request-scoped provider) and was not registered: Sijax handlers must be singletons.`;
export const CLIENT_BUNDLE_MISSING = (path: string) =>
  `The Sijax browser client was not found at ${path}. Build it with "npm run build:client".`;

// Handler API misuse
export const STREAMING_NOT_SUPPORTED =
  'Flushing/Yielding/Streaming is not supported for regular functions!';
export const CALL_PARAMS_NOT_ARRAY = 'call() params must be an array, or null for none.';

// Calls
export const HANDLER_FAILED = (name: string) => `Sijax function ${quoteForLog(name)} failed`;
export const INVALID_ARGS = (name: string, reason: string) =>
  `Invalid call of Sijax function ${quoteForLog(name)}: ${reason}`;
export const UNKNOWN_FUNCTION = (name: string) => `Unknown Sijax function ${quoteForLog(name)}`;
export const TIMED_OUT = (name: string, ms: number) =>
  `Sijax function ${quoteForLog(name)} timed out after ${ms} ms`;
export const ENCODING_FAILED = (name: string) =>
  `A batch of Sijax function ${quoteForLog(name)} could not be encoded as JSON`;
export const INTERNAL_ERROR = 'Internal server error';
export const SHUTTING_DOWN = 'The server is shutting down';

// Resumable calls
export const CALL_GONE = 'This call is over, or unknown: it cannot be resumed';
export const CALL_LOST = 'The server running this call stopped answering';
export const CALL_NOT_YOURS = 'Not allowed';
export const CALL_ID_TOO_SHORT = (length: number) =>
  `A resumable call needs a sijax_call id of at least ${length} URL-safe characters (128 random bits)`;
export const FOLLOW_FAILED = 'A stream following a resumable call failed';
export const STORE_READ_STUCK =
  'The call store answered a replay page that does not go past the previous one';
export const BAD_OFFSET = 'The offset to resume after must be a decimal integer';
export const RESUMABLE_REGULAR_HANDLER = (owner: string) =>
  `${owner} is a regular Sijax function: only Comet functions can be resumable.`;

// What the client sees when the original Sijax client is told of a failure (an alert).
export const INVALID_REQUEST_ALERT = 'The action you performed is unavailable! (Sijax error)';
export const INVALID_CALL_ALERT = 'You tried to perform an action in a wrong way! (Sijax error)';
export const FAILURE_ALERT = (message: string) => `${message} (Sijax error)`;

// Refusals, before any handler runs
export const NOT_SIJAX = (request: string, args: string) =>
  `Not a Sijax request: POST the fields ${request} and ${args}`;
export const DUPLICATE_FIELD = (field: string) => `The field ${field} must be sent once, as text`;
export const NOT_UTF8 = 'Sijax request body is not valid UTF-8';
export const BODY_TOO_LARGE = (limit: number) => `Sijax request body is larger than ${limit} bytes`;
export const UPLOAD_NAME_MISMATCH = 'The form names another function than its URL';
export const UPLOAD_ARGS = (formId: string) =>
  `An upload of the form ${formId} takes sijax_args ["${formId}"]`;
export const UPLOAD_NOT_MULTIPART = (name: string) =>
  `${name} takes a multipart form posted to the Sijax path with ?sijax_rq=${name}`;
export const FILE_TOO_LARGE = (limit: number) => `An uploaded file is larger than ${limit} bytes`;
export const MULTIPART_MALFORMED = 'Sijax request body is not valid multipart/form-data';
export const MULTIPART_TOO_LARGE = (what: string) => `Sijax request body ${what}`;
export const CONTENT_TYPE_MALFORMED = 'Sijax request has a malformed Content-Type';
export const NOT_MULTIPART = 'Sijax request body is not multipart/form-data';
export const NO_BOUNDARY = 'Sijax request has no valid multipart boundary';
export const PLATFORM_BODY_TOO_LARGE = 'Sijax request body is larger than the app accepts';
export const BODY_UNREADABLE = 'Sijax request body could not be read';
export const UNSUPPORTED_MEDIA_TYPE =
  'Sijax accepts application/x-www-form-urlencoded, multipart/form-data or application/json';
export const METHOD_NOT_ALLOWED = 'Sijax calls are POST requests';
export const CROSS_SITE_REFUSED = 'Cross-site Sijax call refused';
export const CSRF_TOKEN_INVALID = 'Missing or invalid Sijax CSRF token';
export const REFUSED = (method: string, path: string, status: number, message: string) =>
  `Refused ${method} ${quoteForLog(path)}: ${status} ${message}`;
export const CLIENT_LEFT = (method: string, path: string) =>
  `The client left during ${method} ${quoteForLog(path)}`;
export const ARGS_NOT_JSON = 'sijax_args is not valid JSON';
export const ARGS_NOT_ARRAY = 'sijax_args is not a JSON array';
export const ARGS_TOO_DEEP = (maxDepth: number) =>
  `sijax_args is nested deeper than ${maxDepth} levels`;
export const APPEND_UNANSWERED = 'RedisCallStore: Redis sent no reply to an append';
