import { isObservable } from 'rxjs';

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
 * Observable, is a flush point. Resolves with the handler's return value.
 */
export async function drainOutput(output: unknown, sink: CommandSink): Promise<unknown> {
  const value: unknown = output instanceof Promise ? await output : output;
  if (isIterator(value)) {
    return Symbol.asyncIterator in value
      ? drainAsync(value as AsyncIterator<unknown>, sink)
      : drainSync(value as Iterator<unknown>, sink);
  }
  if (isObservable(value)) {
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
  return value;
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
