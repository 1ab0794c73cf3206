import type { CallStore } from '../resume/call-store';
import type { SijaxEvents } from './sijax-events.interface';
import type { SijaxRequest } from './sijax-request.interface';
import type { SijaxUploadLimits } from './sijax-upload.interface';

/**
 * How resumable calls (`resumable: true` on a Comet handler) are kept.
 * @publicApi
 */
export interface SijaxResumeOptions {
  /** Where the calls' logs live. @default a `MemoryCallStore` (this instance only) */
  store?: CallStore;
  /** How long a call runs on once its last reader left, before it is cancelled (ms). @default 30000 */
  lingerMs?: number;
  /** How long a log is kept after its call ended, for late reconnects and attaches (ms). @default 60000 */
  retainMs?: number;
  /** Most batches a log holds; with no reader, the handler pauses once this many wait. @default 10000 */
  maxBatches?: number;
  /**
   * Who a call belongs to: resume, attach and cancel must come from the same owner (else 403).
   * @default the CSRF cookie's token in token mode, else nobody (the 128-bit call id is the key)
   */
  owner?: (request: SijaxRequest) => string | undefined;
}

/**
 * CSRF protection. Cross-site calls are refused by default; `token` adds a double-submit token.
 * @publicApi
 */
export interface SijaxCsrfOptions {
  /** Origins (`https://app.example.com`) allowed to call from another site. @default [] */
  trustedOrigins?: string[];
  /**
   * Require a token: the module sets the `sijax_csrf` cookie when it serves the client, and the
   * client echoes it in the `X-Sijax-CSRF` header (fetch) or the `sijax_csrf` field (iframe form).
   * @default false
   */
  token?: boolean;
}

/**
 * Options of `SijaxModule.forRoot()` / `forRootAsync()`.
 * @publicApi
 */
export interface SijaxModuleOptions {
  /** Hooks for the Sijax events (before/after processing, invalid request, invalid call). */
  events?: SijaxEvents;
  /** Largest request body the module reads itself, in bytes; larger gets 413. @default 1048576 */
  bodyLimit?: number;
  /** Ends any handler running longer than this (ms) with the error path. @default no limit */
  timeoutMs?: number;
  /** No Comet stream stays silent longer than this (ms): a harmless newline is sent; `false` for none. @default 15000 */
  heartbeatMs?: number | false;
  /**
   * The served client warns in the console when a command's selector matches nothing.
   * @default true unless NODE_ENV is 'production'
   */
  clientWarnings?: boolean;
  /** Cross-site call protection; `false` turns it off (not recommended). @default {} */
  csrf?: SijaxCsrfOptions | false;
  /** Resumable calls: their store, and how long they linger and are kept. */
  resume?: SijaxResumeOptions;
  /** Upload calls (`@UploadCallback()`): bounds on files, and where they are spooled. */
  upload?: SijaxUploadLimits;
}

/**
 * Options known when the module is defined, even with `forRootAsync`, because routes need them.
 * @publicApi
 */
export interface SijaxModuleExtras {
  /** Where calls are posted and the client is served (`GET {path}/sijax.js`). @default '/sijax' */
  path?: string;
  /** Make the module's providers (`SijaxRegistry`) global. @default true */
  isGlobal?: boolean;
}
