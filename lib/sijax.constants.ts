import { DEFAULT_SIJAX_PATH } from './protocol/wire-names';

/** Metadata keys (namespaced) and the defaults of every option. Internal: not in the barrel. */
export const SIJAX_HANDLER_METADATA = 'sijax:handler';
export const SIJAX_CALLBACK_METADATA = 'sijax:callback';
/** Parameter map that `ExternalContextCreator` reads to build a handler's arguments. */
export const SIJAX_PARAMS_METADATA = 'sijax:params';

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

/** Defaults, in one place: the module's options and the library's own fixed limits. */
export const SIJAX_DEFAULTS = {
  path: DEFAULT_SIJAX_PATH,
  bodyLimit: 1024 * 1024,
  heartbeatMs: 15_000,
  maxJsonDepth: 64,
  lingerMs: 30_000,
  retainMs: 60_000,
  maxBatches: 10_000,
  uploadFileSize: 100 * 1024 * 1024,
  uploadFiles: 10,
  uploadFields: 100,
  /** Largest header block of one multipart part. */
  maxPartHeaderSize: 16 * 1024,
  /** Most parts a multipart body may have. */
  maxParts: 1000,
  /** How long shutdown waits for cancelled handlers to run their `finally` blocks. */
  settleOnShutdownMs: 3000,
  /** Node's default socket high-water mark: coalesced chunks never hold more than this. */
  coalesceLimit: 16 * 1024,
  /**
   * Streams given a heartbeat per turn of the event loop: the writes of thousands of streams at
   * once stall the loop and, in flight together, make V8 grow its young generation for good.
   */
  heartbeatSlice: 256,
  /** Log entries a replay reads from its store at once: what it holds for a slow client. */
  replayPage: 256,
  /**
   * Batches of a resumable call that wait for the store's answer to the previous append, at
   * most: then the handler waits too. One append's most entries, and what a reader gets at once.
   */
  appendBacklog: 256,
  /** RedisCallStore: most connections its followers block on at once (see its options). */
  maxFollowConnections: 256,
} as const;
