import type { SijaxEvents } from './sijax-events.interface';

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
  /** Cross-site call protection; `false` turns it off (not recommended). @default {} */
  csrf?: SijaxCsrfOptions | false;
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
