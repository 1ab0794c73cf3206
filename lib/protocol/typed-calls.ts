/**
 * Types that let a TypeScript front end check its calls against the server's handlers: names,
 * argument types and return types. Types only: nothing here exists at run time.
 */

/** What a handler's method type resolves to on the page: its return value, once streamed. */
export type SijaxResultOf<R> =
  R extends AsyncGenerator<unknown, infer T, unknown>
    ? T
    : R extends Generator<unknown, infer T, unknown>
      ? T
      : R extends PromiseLike<infer T>
        ? SijaxResultOf<T>
        : R extends { subscribe(...args: never[]): unknown } // an Observable: no return value
          ? undefined
          : R extends void
            ? undefined
            : R;

/** One callable function: whether it streams, what it takes after the response, what it returns. */
export interface SijaxCallSignature {
  kind: 'sijax' | 'comet';
  args: unknown[];
  result: unknown;
}

/**
 * Every callable function of an app, by public name (an interface works too: this is the
 * constraint `createSijaxClient<C>()` checks, without asking for an index signature).
 */
export type SijaxCalls<C = Record<string, SijaxCallSignature>> = Record<
  keyof C,
  SijaxCallSignature
>;

/** The signature of one handler method: its arguments after the response, and its result. */
export type SijaxCallOf<M, K extends SijaxCallSignature['kind']> = M extends (
  response: never,
  ...args: infer A
) => infer R
  ? { kind: K; args: A; result: SijaxResultOf<R> }
  : never;

/** Public method names: `_`-prefixed ones and lifecycle hooks are never registered. */
type Registered<K> = K extends `_${string}`
  ? never
  : K extends
        | 'onModuleInit'
        | 'onModuleDestroy'
        | 'onApplicationBootstrap'
        | 'onApplicationShutdown'
        | 'beforeApplicationShutdown'
    ? never
    : K;

/** The calls of a class registered whole: `@CometHandler()` (kind 'comet') or `@SijaxHandler()`. */
export type SijaxHandlerCalls<T, K extends SijaxCallSignature['kind']> = {
  [N in keyof T as N extends string
    ? T[N] extends (...args: never[]) => unknown
      ? Registered<N>
      : never
    : never]: SijaxCallOf<T[N], K>;
};

/** The calls of a `@CometHandler()` class, under its method names. */
export type CometCallsOf<T> = SijaxHandlerCalls<T, 'comet'>;
/** The calls of a `@SijaxHandler()` class, under its method names. */
export type SijaxCallsOf<T> = SijaxHandlerCalls<T, 'sijax'>;

/** The names among `C` of the given kind. */
export type SijaxNamesOf<C extends SijaxCalls<C>, K extends SijaxCallSignature['kind']> = {
  [N in keyof C]: C[N]['kind'] extends K ? N : never;
}[keyof C] &
  string;
