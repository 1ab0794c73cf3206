// A typed front end against the installed package: `app-calls.ts` is written by
// `nestjs-sijax types` from the tarball's bin; every @ts-expect-error line must be an error.
import { createSijaxClient, type CometCallsOf } from 'nestjs-sijax/client';
import type { AppCalls } from './app-calls.js';
import type { Jobs } from './handlers.js';

export async function typed(): Promise<void> {
  const sijax = createSijaxClient<AppCalls>();
  const steps: number = await sijax.comet('run', 10);
  const name: string = await sijax.call('say_hello', 'Ann');
  await sijax.comet('count_down', 3);
  // @ts-expect-error: a string where a number goes
  await sijax.comet('run', 'ten');
  // @ts-expect-error: a number where a string goes
  await sijax.call('say_hello', 1);
  // @ts-expect-error: a misspelt name
  await sijax.comet('rnu', 10);
  const inferred = createSijaxClient<CometCallsOf<Jobs>>();
  await inferred.comet('run', 1);
  // @ts-expect-error: not a Comet function of Jobs
  await inferred.comet('count_down', 1);
  void [steps, name];
}
