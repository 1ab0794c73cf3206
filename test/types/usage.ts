/// <reference lib="dom" />
// Compiled by typed-calls.spec.ts: every line marked @ts-expect-error must be a type error
// (an unused one is an error itself), and every other line must compile.
import { createSijaxClient, type CometCallsOf, type SijaxCallsOf } from '../../client/index';
import type { AppCalls } from './app-calls';
import type { Calculator, ProgressHandler } from './fixtures/handlers';

/** Inferred from classes registered whole. */
type Inferred = CometCallsOf<ProgressHandler> & SijaxCallsOf<Calculator>;

export async function inferred(): Promise<void> {
  const sijax = createSijaxClient<Inferred>();
  const run: { steps: number } = await sijax.comet('run', 10);
  await sijax.comet('run');
  await sijax.comet('tick', 'a', 2);
  const watched: undefined = await sijax.comet('watch');
  const sum: number = await sijax.call('sum', 1, 2);
  const found: boolean = (await sijax.call('lookup', 'x')).found;
  // @ts-expect-error: a string where a number goes
  await sijax.comet('run', 'ten');
  // @ts-expect-error: a misspelt name
  await sijax.comet('rnu', 10);
  // @ts-expect-error: a Comet function called as a regular one
  await sijax.call('run', 10);
  // @ts-expect-error: too few arguments
  await sijax.call('sum', 1);
  // @ts-expect-error: too many arguments
  await sijax.comet('tick', 'a', 2, 3);
  // @ts-expect-error: `_`-prefixed methods are never registered
  await sijax.comet('_secret');
  // @ts-expect-error: the result's type is known
  const wrong: string = await sijax.call('sum', 1, 2);
  void [run, watched, sum, found, wrong];
}

/** Generated (`nestjs-sijax types`), with the renamed callbacks. */
export async function generated(): Promise<void> {
  const sijax = createSijaxClient<AppCalls>();
  await sijax.call('say_hello', 'Ann');
  const done: 'done' = await sijax.comet('count_down', 3);
  const echoed: string = await sijax.comet('echo', 'a', 'b', 'c');
  await sijax.with({ transport: 'fetch' }).comet('run', 3);
  // @ts-expect-error: a number where a string goes
  await sijax.call('say_hello', 1);
  // @ts-expect-error: the method's own name is not its public name
  await sijax.call('hello', 'Ann');
  // @ts-expect-error: a misspelt renamed callback
  await sijax.comet('count_dwon', 3);
  // @ts-expect-error: the rest parameter takes strings only
  await sijax.comet('echo', 1);
  void [done, echoed];
}
