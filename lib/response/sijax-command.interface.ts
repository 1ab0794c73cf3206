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
