/** Every message the library logs or throws, so that tests can assert them. */
export const DUPLICATE_HANDLER = (name: string, first: string, second: string) =>
  `Sijax function "${name}" is registered twice: by ${first} and by ${second}. Rename one with @SijaxCallback('other_name') or @CometCallback('other_name').`;
export const RESERVED_HANDLER_NAME = (name: string, owner: string) =>
  `Sijax function name "${name}" (${owner}) is reserved: it would expose object internals. Choose another name.`;
export const YIELDING_REGULAR_HANDLER = (owner: string) =>
  `${owner} is a generator, but regular Sijax functions cannot stream: register it with @CometCallback() or @CometHandler().`;
export const NON_STATIC_HANDLER = (owner: string) =>
  `${owner} is request-scoped (or depends on a request-scoped provider) and was not registered: Sijax handlers must be singletons.`;
export const STREAMING_NOT_SUPPORTED =
  'Flushing/Yielding/Streaming is not supported for regular functions!';
export const HANDLER_FAILED = (name: string) => `Sijax function "${name}" failed`;
export const INVALID_ARGS = (name: string, reason: string) =>
  `Invalid call of Sijax function "${name}": ${reason}`;
export const UNKNOWN_FUNCTION = (name: string) => `Unknown Sijax function "${name}"`;
export const CLIENT_BUNDLE_MISSING = (path: string) =>
  `The Sijax browser client was not found at ${path}. Build it with "npm run build:client".`;
export const TIMED_OUT = (name: string, ms: number) =>
  `Sijax function "${name}" timed out after ${ms} ms`;
export const SHUTTING_DOWN = 'The server is shutting down';
export const CROSS_SITE_REFUSED = 'Cross-site Sijax call refused';
export const CSRF_TOKEN_INVALID = 'Missing or invalid Sijax CSRF token';
