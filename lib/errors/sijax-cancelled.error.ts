/**
 * The reason `response.signal` fires when the browser goes away or the server shuts down.
 * @publicApi
 */
export class SijaxCancelledError extends Error {
  override name = 'SijaxCancelledError';

  constructor(message = 'The Sijax call was cancelled') {
    super(message);
  }
}
