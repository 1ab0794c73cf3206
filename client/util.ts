import type { SijaxError } from './types';

export const sjxError = (message: string, status = 0, name = 'SijaxError'): SijaxError =>
  Object.assign(new Error(message), { status, name });

/** Runs `fn` on every element matching `selector`. */
export const each = (selector: unknown, fn: (el: HTMLElement) => void): void =>
  document.querySelectorAll<HTMLElement>(String(selector)).forEach(fn);

/** Dispatches `sijax:<name>` on document; false when a listener called preventDefault(). */
export const emit = (name: string, detail: object, cancelable?: boolean): boolean =>
  document.dispatchEvent(new CustomEvent('sijax:' + name, { detail, cancelable }));
