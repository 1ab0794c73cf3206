/** How `html` and `attr` commands combine the new value with the current one. */
export type SijaxSetType = 'replace' | 'append' | 'prepend';

/**
 * One command of the Sijax wire protocol: `type` plus its own fields, with the field names of the
 * original Sijax 0.3 (`{type:'html', selector, html, setType}`, `{type:'alert', alert}`...).
 * @publicApi
 */
export interface SijaxCommand {
  type: string;
  [field: string]: unknown;
}

/** Added to Sijax 0.3: the handler's return value, which the call handle resolves with. */
export const RETURN_COMMAND = 'return';
/** Added to Sijax 0.3: a failure, which the call handle rejects with. */
export const ERROR_COMMAND = 'error';

/** `{type:'error', error, status, name}`: what the client turns into a rejection. */
export interface SijaxErrorCommand extends SijaxCommand {
  type: typeof ERROR_COMMAND;
  /** A message safe to show: internals of unexpected errors never leave the server. */
  error: string;
  /** HTTP status (500 for unexpected errors). */
  status: number;
  name: string;
}
