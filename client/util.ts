import { warningsOn } from './config';
import type { SijaxError } from './types';

export const sjxError = (message: string, status = 0, name = 'SijaxError'): SijaxError =>
  Object.assign(new Error(message), { status, name });

/** A stream that stopped before its end marker (and was not, or could no longer be, resumed). */
export const streamCut = (): SijaxError =>
  sjxError('The stream was cut short', 0, 'StreamCutError');

/** Runs `fn` on every element matching `selector`; none is worth a warning in development. */
export function each(selector: unknown, fn: (el: HTMLElement) => void): void {
  const found = document.querySelectorAll<HTMLElement>(String(selector));
  if (found.length === 0 && warningsOn())
    console.warn(`Sijax: no element matches ${String(selector)}`);
  found.forEach(fn);
}

/** Dispatches `sijax:<name>` on document; false when a listener called preventDefault(). */
export const emit = (name: string, detail: object, cancelable?: boolean): boolean =>
  document.dispatchEvent(new CustomEvent('sijax:' + name, { detail, cancelable }));
