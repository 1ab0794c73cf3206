import { randomBytes } from 'crypto';
import type { IncomingMessage } from 'http';
import { csrfCookieName } from './csrf.check';
import { requestProtocol } from './request-origin';

/**
 * The double-submit cookie set when the client is served (token mode). Over HTTPS it is the
 * `__Host-` cookie, `Secure`, for the whole site; `SameSite=Strict` keeps it off cross-site calls.
 */
export function csrfCookie(request: unknown, req: IncomingMessage): string {
  const secure = requestProtocol(request, req) === 'https' ? '; Secure' : '';
  const token = randomBytes(24).toString('base64url');
  return `${csrfCookieName(request, req)}=${token}; Path=/; SameSite=Strict${secure}`;
}
