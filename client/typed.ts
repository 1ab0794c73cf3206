import type { SijaxCalls, SijaxNamesOf } from '../lib/protocol/typed-calls';
import { cometRequest } from './comet';
import { request } from './transport';
import type { CallOptions, SijaxCall } from './types';

/**
 * A client whose calls are checked by TypeScript against the app's handlers: names, argument
 * types and return types. `C` is inferred (`CometCallsOf<typeof ProgressHandler>`) or generated
 * (`npx nestjs-sijax types`).
 */
export interface SijaxClient<C extends SijaxCalls<C>> {
  /** A regular call. */
  call<N extends SijaxNamesOf<C, 'sijax'>>(
    name: N,
    ...args: C[N]['args']
  ): SijaxCall<C[N]['result']>;
  /** A Comet call. */
  comet<N extends SijaxNamesOf<C, 'comet'>>(
    name: N,
    ...args: C[N]['args']
  ): SijaxCall<C[N]['result']>;
  /** The same client, with these options for its calls (transport, url, onCommand...). */
  with(options: CallOptions): SijaxClient<C>;
}

/** A typed client over the page's `Sijax.request` and `sjxComet.request`. */
export function createSijaxClient<C extends SijaxCalls<C>>(
  options: CallOptions = {},
): SijaxClient<C> {
  return {
    call: (name, ...args) => request(name, args, options),
    comet: (name, ...args) => cometRequest(name, args, options),
    with: (more) => createSijaxClient<C>({ ...options, ...more }),
  };
}
