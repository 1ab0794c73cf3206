import { ForbiddenException } from '@nestjs/common';
import { timingSafeEqual } from 'crypto';
import type { IncomingMessage } from 'http';
import { CSRF_COOKIE, CSRF_HEADER } from '../sijax.constants';
import { CROSS_SITE_REFUSED, CSRF_TOKEN_INVALID } from '../sijax.messages';
import type { SijaxOptions } from '../sijax-options';

type CsrfPolicy = Exclude<SijaxOptions['csrf'], false>;

/**
 * Calls change state, so a call from another site is refused: by the browser's `Sec-Fetch-Site`,
 * or else by `Origin`/`Referer` against `Host`. With `token`, a double-submit token is required.
 */
export function checkCsrf(
  req: IncomingMessage,
  sentToken: string | undefined,
  policy: CsrfPolicy,
): void {
  const origin = requestOrigin(req);
  if (!(origin && policy.trustedOrigins.has(origin)) && isCrossSite(req, origin)) {
    throw new ForbiddenException(CROSS_SITE_REFUSED);
  }
  if (policy.token) {
    const expected = readCookie(req, CSRF_COOKIE);
    const header = req.headers[CSRF_HEADER];
    const sent = typeof header === 'string' ? header : sentToken;
    if (!expected || !sent || !sameText(expected, sent))
      throw new ForbiddenException(CSRF_TOKEN_INVALID);
  }
}

function isCrossSite(req: IncomingMessage, origin: string | undefined): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site) return site !== 'same-origin' && site !== 'none';
  if (!origin) return false; // not a browser, or a browser that sends neither: nothing to tell
  try {
    return new URL(origin).host !== req.headers.host;
  } catch {
    return true;
  }
}

function requestOrigin(req: IncomingMessage): string | undefined {
  const { origin, referer } = req.headers;
  if (origin && origin !== 'null') return origin;
  if (origin === 'null') return 'null';
  try {
    return referer ? new URL(referer).origin : undefined;
  } catch {
    return undefined;
  }
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
