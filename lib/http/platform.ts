import { IncomingMessage, ServerResponse } from 'http';

/** Node's request under Express's (which is one) or Fastify's (which wraps one as `raw`). */
export function nodeRequest(request: unknown): IncomingMessage {
  return request instanceof IncomingMessage ? request : (request as { raw: IncomingMessage }).raw;
}

/** The parsed body, wherever the platform put it. */
export function requestBody(request: unknown): unknown {
  return (request as { body?: unknown }).body;
}

/** Node's response; a Fastify reply is hijacked so Fastify leaves the raw response to us. */
export function nodeResponse(response: unknown): ServerResponse {
  if (response instanceof ServerResponse) return response as ServerResponse;
  const reply = response as { raw: ServerResponse; hijack?: () => void };
  reply.hijack?.();
  return reply.raw;
}
