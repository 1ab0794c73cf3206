import type { IncomingMessage } from 'http';

/**
 * The request a handler runs for: Express's or Fastify's request object.
 * @publicApi
 */
export type SijaxRequest = IncomingMessage & {
  body?: unknown;
  user?: unknown;
  [key: string]: unknown;
};
