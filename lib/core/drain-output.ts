import { isObservable } from 'rxjs';
import { SijaxError } from '../errors/sijax.error';
import { STREAMING_NOT_SUPPORTED } from '../sijax.messages';

/** One stage (before, handler, after) of a call, as the handler's output is drained into it. */
export interface Stage {
  /** Comet calls stream; regular calls refuse iterators and answer once. */
  readonly streaming: boolean;
  /** Hands the commands queued so far on (a no-op for regular calls). */
  flush(): void;
  /** Resolves when the consumer can take more; undefined when it can now. */
  ready(): Promise<void> | undefined;
  /** True once the stage was stopped (cancel, timeout): the handler must stop. */
  readonly closed: boolean;
  /** Set while an Observable runs, so that stopping can unsubscribe at once. */
  stopCurrent?: () => void;
}

type AnyIterator = Iterator<unknown> | AsyncIterator<unknown>;

/** Generators and other iterators; strings and arrays are iterable but are not iterators. */
export function isIterator(value: unknown): value is AnyIterator {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as AnyIterator).next === 'function' &&
    (Symbol.iterator in value || Symbol.asyncIterator in value)
  );
}

/**
 * Runs one handler's output to its end: each step of an iterator, or each emission of an
 * Observable, is a flush point. Returns the handler's return value, or a promise of it. Not an
 * async function itself: an open Comet stream should hold as few suspended frames as it can.
 */
export function drainOutput(output: unknown, stage: Stage): unknown {
  return output instanceof Promise
    ? output.then((value: unknown) => drainValue(value, stage))
    : drainValue(output, stage);
}

function drainValue(value: unknown, stage: Stage): unknown {
  if (isIterator(value)) {
    if (!stage.streaming) throw new SijaxError(STREAMING_NOT_SUPPORTED);
    return Symbol.asyncIterator in value
      ? drainAsync(value as AsyncIterator<unknown>, stage)
      : drainSync(value as Iterator<unknown>, stage);
  }
  if (!isObservable(value)) return value;
  return new Promise<unknown>((resolve, reject) => {
    const subscription = value.subscribe({
      next: () => stage.flush(),
      error: reject,
      complete: () => resolve(undefined),
    });
    stage.stopCurrent = () => {
      subscription.unsubscribe();
      resolve(undefined);
    };
  });
}

/** The consumer pushed back: stepping goes on when `wait` resolves. */
class Blocked {
  constructor(readonly wait: Promise<void>) {}
}

/**
 * A sync iterator runs in a plain loop; only when the consumer pushes back does one promise
 * stand for the rest of the run (no chain of promises growing with each pause).
 */
function drainSync(iterator: Iterator<unknown>, stage: Stage): unknown {
  const first = stepSync(iterator, stage);
  if (!(first instanceof Blocked)) return first;
  return new Promise((resolve, reject) => {
    const resume = (): void => {
      try {
        const next = stage.closed ? stop(iterator) : stepSync(iterator, stage);
        if (next instanceof Blocked) next.wait.then(resume, reject);
        else resolve(next);
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    };
    first.wait.then(resume, reject);
  });
}

/** Steps until done (the return value), stopped (a promise of it), or pushed back (`Blocked`). */
function stepSync(iterator: Iterator<unknown>, stage: Stage): unknown {
  for (;;) {
    const step = iterator.next();
    if (step.done) return step.value;
    stage.flush();
    const wait = stage.ready();
    if (wait) return new Blocked(wait);
    if (stage.closed) return stop(iterator);
  }
}

/**
 * Step by step through an async iterator, with one promise for the whole run rather than an
 * async function's frame: an idle stream holds as little as it can.
 */
function drainAsync(iterator: AsyncIterator<unknown>, stage: Stage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const next = (): void => {
      if (stage.closed) stop(iterator).then(resolve, reject);
      else iterator.next().then(onStep, reject);
    };
    const onStep = (step: IteratorResult<unknown>): void => {
      if (step.done) return resolve(step.value);
      stage.flush();
      const wait = stage.ready();
      if (wait) wait.then(next, reject);
      else next();
    };
    iterator.next().then(onStep, reject);
  });
}

/** Returns the iterator so the handler's `finally` blocks run. */
async function stop(iterator: AnyIterator): Promise<undefined> {
  await iterator.return?.();
  return undefined;
}
