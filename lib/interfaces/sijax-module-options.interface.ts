import type { SijaxEvents } from './sijax-events.interface';

/**
 * Options of `SijaxModule.forRoot()` / `forRootAsync()`.
 * @publicApi
 */
export interface SijaxModuleOptions {
  /** Hooks for the Sijax events (before/after processing, invalid request, invalid call). */
  events?: SijaxEvents;
  /** Largest request body the module reads itself, in bytes; larger gets 413. @default 1048576 */
  bodyLimit?: number;
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
