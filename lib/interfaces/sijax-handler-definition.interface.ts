import type { SijaxCallKind, SijaxUploadOptions } from './sijax-handler-options.interface';

/**
 * A registered Sijax or Comet function, as `SijaxRegistry` lists it.
 * @publicApi
 */
export interface SijaxHandlerDefinition {
  /** The public name the browser calls. */
  readonly name: string;
  readonly kind: SijaxCallKind;
  /** Where it is declared, as `ClassName#method`. */
  readonly owner: string;
  /** Fewest and most browser arguments it takes (`Infinity` with a rest parameter). */
  readonly minArgs: number;
  readonly maxArgs: number;
  /** Per-handler time limit in ms, if any. */
  readonly timeoutMs?: number;
  /** Its calls survive a dropped connection (Comet only). */
  readonly resumable: boolean;
  /** Upload callbacks: the form's id, and how its files are handed over. */
  readonly upload?: SijaxUploadOptions & { readonly formId: string };
}
