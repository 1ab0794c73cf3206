import { isObservable } from 'rxjs';
import { SijaxError } from '../errors/sijax.error';
import { STREAMING_NOT_SUPPORTED } from '../sijax.messages';

/** Where a running handler's commands go, and how the consumer pushes back. */
export interface CommandSink {
  /** Comet calls stream; regular calls refuse iterators and answer once. */
  readonly streaming: boolean;
  /** Hands the commands queued so far to the consumer (a no-op for regular calls). */
  flush(): void;
  /** Resolves when the consumer can take more; undefined when it can now. */
  ready(): Promise<void> | undefined;
  /** True once the consumer went away: the handler must stop. */
  readonly closed: boolean;
  /** Set while a handler runs, so that closing can stop it at once. */
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
export function drainOutput(output: unknown, sink: CommandSink): unknown {
  return output instanceof Promise
    ? output.then((value: unknown) => drainValue(value, sink))
    : drainValue(output, sink);
}

function drainValue(value: unknown, sink: CommandSink): unknown {
  if (isIterator(value)) {
    if (!sink.streaming) throw new SijaxError(STREAMING_NOT_SUPPORTED);
    return Symbol.asyncIterator in value
      ? drainAsync(value as AsyncIterator<unknown>, sink)
      : drainSync(value as Iterator<unknown>, sink);
  }
  if (!isObservable(value)) return value;
  return new Promise<unknown>((resolve, reject) => {
    const subscription = value.subscribe({
      next: () => sink.flush(),
      error: reject,
      complete: () => resolve(undefined),
    });
    sink.stopCurrent = () => {
      subscription.unsubscribe();
      resolve(undefined);
    };
  });
}

function drainSync(iterator: Iterator<unknown>, sink: CommandSink): unknown {
  for (;;) {
    const step = iterator.next();
    if (step.done) return step.value;
    sink.flush();
    const wait = sink.ready();
    if (wait) return wait.then(() => (sink.closed ? stop(iterator) : drainSync(iterator, sink)));
    if (sink.closed) return stop(iterator);
  }
}

async function drainAsync(iterator: AsyncIterator<unknown>, sink: CommandSink): Promise<unknown> {
  for (;;) {
    const step = await iterator.next();
    if (step.done) return step.value;
    sink.flush();
    const wait = sink.ready();
    if (wait) await wait;
    if (sink.closed) return stop(iterator);
  }
}

/** Returns the iterator so the handler's `finally` blocks run. */
async function stop(iterator: AnyIterator): Promise<undefined> {
  await iterator.return?.();
  return undefined;
}
