import type { SijaxUploadLimits } from './sijax-upload.interface';

/**
 * A regular call answers once; a Comet call streams a chunk per `yield`; an upload call is a
 * Comet call posted with a form's files.
 */
export type SijaxCallKind = 'sijax' | 'comet' | 'upload';

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

/**
 * Options of `@UploadCallback()`.
 * @publicApi
 */
export interface SijaxUploadOptions {
  /** Ends a call that runs longer than this with the error path. @default the module's `timeoutMs` */
  timeoutMs?: number;
  /**
   * Hand the files over as they arrive, an async iterable of `UploadPart`s, instead of spooled to
   * temporary files; the handler then starts with the first file. @default false
   */
  stream?: boolean;
  /** Bounds for this form, over the module's `upload` ones. */
  upload?: SijaxUploadLimits;
}

/** What the decorators store: one shape for every overload. */
export interface SijaxHandlerMetadata extends SijaxCallbackOptions {
  kind: SijaxCallKind;
  /** Upload callbacks: the form's id, and how its files are handed over. */
  upload?: SijaxUploadOptions & { formId: string };
}
