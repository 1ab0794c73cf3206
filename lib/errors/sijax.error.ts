/**
 * Misuse of the Sijax API: a regular handler that yields, bad `call()` params, a duplicate name.
 * @publicApi
 */
export class SijaxError extends Error {
  override name = 'SijaxError';
}
