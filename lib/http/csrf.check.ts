import { ForbiddenException } from '@nestjs/common';
import { timingSafeEqual } from 'crypto';
import type { IncomingMessage } from 'http';
import { CSRF_COOKIE, CSRF_COOKIE_SECURE, CSRF_HEADER } from '../protocol/wire-names';
import type { SijaxOptions } from '../sijax-options';
import { CROSS_SITE_REFUSED, CSRF_TOKEN_INVALID } from '../sijax.messages';
import { normalizeOrigin, ownOrigin, requestProtocol } from './request-origin';

type CsrfPolicy = Exclude<SijaxOptions['csrf'], false>;
const CSRF_HEADER_NAME = CSRF_HEADER.toLowerCase();

/**
 * Calls change state, so a call from another site is refused: by the browser's `Sec-Fetch-Site`,
 * or else by `Origin`/`Referer` against the request's own origin (scheme, host and port). With
 * `token`, a double-submit token is required too.
 */
export function checkCsrf(
  request: unknown,
  req: IncomingMessage,
  sentToken: string | undefined,
  policy: CsrfPolicy,
): void {
  checkCsrfOrigin(request, req, policy);
  if (policy.token) checkCsrfToken(request, req, sentToken);
}

/** The cross-site part of the check: it needs the headers only, not the body. */
export function checkCsrfOrigin(request: unknown, req: IncomingMessage, policy: CsrfPolicy): void {
  const origin = requestOrigin(req);
  if (!(origin && policy.trustedOrigins.has(origin)) && isCrossSite(request, req, origin)) {
    throw new ForbiddenException(CROSS_SITE_REFUSED);
  }
}

/** The double-submit token: the `X-Sijax-CSRF` header, or the `sijax_csrf` field given. */
export function checkCsrfToken(request: unknown, req: IncomingMessage, sentToken?: string): void {
  const expected = readCookie(req, csrfCookieName(request, req));
  const header = req.headers[CSRF_HEADER_NAME];
  const sent = typeof header === 'string' ? header : sentToken;
  if (!expected || !sent || !sameText(expected, sent)) {
    throw new ForbiddenException(CSRF_TOKEN_INVALID);
  }
}

/** Over HTTPS the `__Host-` cookie, which neither a subdomain nor plain HTTP can set. */
export function csrfCookieName(request: unknown, req: IncomingMessage): string {
  return requestProtocol(request, req) === 'https' ? CSRF_COOKIE_SECURE : CSRF_COOKIE;
}

function isCrossSite(request: unknown, req: IncomingMessage, origin: string | undefined): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site) return site !== 'same-origin' && site !== 'none';
  if (!origin) return false; // not a browser, or a browser that sends neither: nothing to tell
  return origin !== ownOrigin(request, req);
}

/** The caller's origin: `Origin`, else the origin of `Referer`; `'null'` for opaque origins. */
function requestOrigin(req: IncomingMessage): string | undefined {
  const { origin, referer } = req.headers;
  if (origin === 'null') return 'null';
  if (origin) return normalizeOrigin(origin) ?? 'null';
  return referer ? normalizeOrigin(referer) : undefined;
}

/** One cookie's value from the Cookie header. */
export function readCookie(req: IncomingMessage, name: string): string | undefined {
  for (const pair of (req.headers.cookie ?? '').split(';')) {
    const index = pair.indexOf('=');
    if (index > 0 && pair.slice(0, index).trim() === name) {
      try {
        return decodeURIComponent(pair.slice(index + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
