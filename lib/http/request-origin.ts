import type { IncomingMessage } from 'http';

/**
 * `https` or `http` as the platform sees it: Express's `req.protocol` and Fastify's
 * `request.protocol` read `X-Forwarded-Proto` only when the app trusts its proxy (`trust proxy`,
 * `trustProxy`), so a client cannot claim TLS it does not have. Else the socket says.
 */
export function requestProtocol(request: unknown, req: IncomingMessage): 'https' | 'http' {
  const declared = (request as { protocol?: unknown }).protocol;
  if (declared === 'https' || declared === 'http') return declared;
  return (req.socket as { encrypted?: boolean } | undefined)?.encrypted ? 'https' : 'http';
}

/** The origin this request was made to (`https://host:port`), or undefined without a Host. */
export function ownOrigin(request: unknown, req: IncomingMessage): string | undefined {
  const host = req.headers.host;
  if (!host) return undefined;
  return normalizeOrigin(`${requestProtocol(request, req)}://${host}`);
}

/** Scheme, host and port as browsers serialise them (lowercase, default ports dropped). */
export function normalizeOrigin(origin: string): string | undefined {
  try {
    const url = new URL(origin);
    return url.origin === 'null' ? undefined : url.origin;
  } catch {
    return undefined;
  }
}
