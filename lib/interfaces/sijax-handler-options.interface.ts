/** A regular call answers once; a Comet call streams a chunk per `yield`. */
export type SijaxCallKind = 'sijax' | 'comet';

/**
 * Options of `@SijaxHandler()` / `@CometHandler()`, applied to every method of the class.
 * @publicApi
 */
export interface SijaxHandlerOptions {
  /** Ends a call that runs longer than this with the error path. @default the module's `timeoutMs` */
  timeoutMs?: number;
  /**
   * Comet only: the call survives a dropped connection. Its batches are kept in a log (the
   * module's `resume.store`), the client reconnects and gets what it missed, a page can attach
   * to it later, and the handler never runs twice. @default false
   */
  resumable?: boolean;
}

/**
 * Options of `@SijaxCallback()` / `@CometCallback()`.
 * @publicApi
 */
export interface SijaxCallbackOptions extends SijaxHandlerOptions {
  /** The public name the browser calls. @default the method name */
  name?: string;
}

/** What the decorators store: one shape for every overload. */
export interface SijaxHandlerMetadata extends SijaxCallbackOptions {
  kind: SijaxCallKind;
}
