import {
  CLIENT_FILE_NAME,
  CSRF_COOKIE,
  CSRF_COOKIE_SECURE,
  CSRF_META,
  DEFAULT_SIJAX_PATH,
} from '../lib/protocol/wire-names';
import type { CometTransport } from './types';

// The server serves the client at `{path}/sijax.js` and answers calls at `{path}`.
const script = document.currentScript as HTMLScriptElement | null;
const src = script ? script.src.split(/[?#]/)[0] : '';
let requestUri = src.endsWith('/' + CLIENT_FILE_NAME)
  ? src.slice(0, -CLIENT_FILE_NAME.length - 1)
  : DEFAULT_SIJAX_PATH;
let csrfToken: string | undefined;
let transport: CometTransport = 'iframe';
// The served client turns warnings on outside production (the server prefixes this flag).
let warnings = (globalThis as { SIJAX_WARNINGS?: boolean }).SIJAX_WARNINGS === true;

export const setRequestUri = (uri: string): void => {
  requestUri = uri;
};

export const getRequestUri = (): string => requestUri;

export const getTransport = (): CometTransport => transport;

export const warningsOn = (): boolean => warnings;

/**
 * Page-wide settings: `transport` is how Comet calls stream by default; `warnings` logs a console
 * warning when a command's selector matches nothing.
 */
export function configure(settings: { transport?: CometTransport; warnings?: boolean }): void {
  if (settings.transport) transport = settings.transport;
  if (settings.warnings !== undefined) warnings = settings.warnings;
}

/** `null` clears a token set here, so the meta tag and the cookie are read again. */
export const setCsrfToken = (token: string | null): void => {
  csrfToken = token || undefined;
};

/** A cookie's value, or undefined. */
function cookie(name: string): string | undefined {
  for (const pair of document.cookie.split(';')) {
    const index = pair.indexOf('=');
    if (pair.slice(0, index).trim() === name) return decodeURIComponent(pair.slice(index + 1));
  }
  return undefined;
}

/**
 * The token set here, else `<meta name="sijax-csrf-token">`, else the cookie: `__Host-sijax_csrf`
 * over HTTPS, `sijax_csrf` over plain HTTP.
 */
export function getCsrfToken(): string | undefined {
  const meta = document.querySelector<HTMLMetaElement>(`meta[name="${CSRF_META}"]`);
  return csrfToken || meta?.content || cookie(CSRF_COOKIE_SECURE) || cookie(CSRF_COOKIE);
}
