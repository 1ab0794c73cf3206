/** Metadata keys, protocol field names and defaults. Internal: not exported from the barrel. */
export const SIJAX_HANDLER_METADATA = 'sijax:handler';
export const SIJAX_CALLBACK_METADATA = 'sijax:callback';
/** Parameter map that `ExternalContextCreator` reads to build a handler's arguments. */
export const SIJAX_PARAMS_METADATA = 'sijax:params';

export const PARAM_REQUEST = 'sijax_rq';
export const PARAM_ARGS = 'sijax_args';
export const PARAM_CALL_ID = 'sijax_call';
export const PARAM_CSRF = 'sijax_csrf';
export const CSRF_HEADER = 'x-sijax-csrf';
export const CSRF_COOKIE = 'sijax_csrf';

export const DEFAULT_SIJAX_PATH = '/sijax';
export const CLIENT_FILE_NAME = 'sijax.js';

export const INVALID_REQUEST_ALERT = 'The action you performed is unavailable! (Sijax error)';
export const INVALID_CALL_ALERT = 'You tried to perform an action in a wrong way! (Sijax error)';

/** Names that can never be handlers: they would expose object internals. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([
  'constructor',
  '__proto__',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
  'onModuleInit',
  'onModuleDestroy',
  'onApplicationBootstrap',
  'onApplicationShutdown',
  'beforeApplicationShutdown',
]);

/** Defaults for every option, in one place. */
export const SIJAX_DEFAULTS = {
  bodyLimit: 1024 * 1024,
  heartbeatMs: 15_000,
  maxJsonDepth: 64,
} as const;
