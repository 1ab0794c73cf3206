import type { Readable } from 'stream';

/**
 * Bounds on an upload call's body, in module options (`upload`) and `@UploadCallback()` options.
 * Too much answers 413 at once, removes partial files and closes the connection. The module's
 * `bodyLimit` bounds the text fields.
 * @publicApi
 */
export interface SijaxUploadLimits {
  /** Largest file, in bytes. @default 104857600 (100 MiB) */
  fileSize?: number;
  /** Most files in one upload. @default 10 */
  files?: number;
  /** Most text fields in one upload. @default 100 */
  fields?: number;
  /** Where files are spooled while their call runs. @default os.tmpdir() */
  tmpDir?: string;
}

/**
 * A file of an upload call, spooled to a temporary file that is removed when the call ends.
 * @publicApi
 */
export interface UploadedFile {
  /** The form field it came in. */
  readonly field: string;
  /** Its name on the user's machine, as the browser sent it. */
  readonly name: string;
  /** Its MIME type, as the browser sent it. */
  readonly type: string;
  readonly size: number;
  /** The temporary file: valid while the call runs. */
  readonly path: string;
  /** Its bytes, read from the temporary file. */
  stream(): Readable;
}

/**
 * A file of an upload call handed over as it arrives (`@UploadCallback(id, { stream: true })`):
 * read `stream` to its end (or `resume()` it) to get the next one.
 * @publicApi
 */
export interface UploadPart {
  readonly field: string;
  readonly name: string;
  readonly type: string;
  readonly stream: Readable;
}

/**
 * The other fields of the form (the Sijax ones left out): a value, or an array of values for a
 * name sent more than once.
 * @publicApi
 */
export type UploadFormValues = Record<string, string | string[]>;
