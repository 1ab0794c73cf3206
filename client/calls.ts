import type { CallContext, CallOptions, SijaxCall } from './types';
import { emit, sjxError } from './util';

export interface Call extends CallContext {
  /** Ends the call once: rejects with `error` (or the call's first error), else resolves. */
  settle(error?: Error): void;
}

/** Calls still running, by id: `processCommands(commands, id)` routes to them. */
export const calls = new Map<string, Call>();
let counter = 0;

/** Reports an error: `onError`, then a cancelable `sijax:error` event, then the console. */
export function report(error: Error, call?: Call): void {
  if (call && !call.error) call.error = error;
  const quiet = call?.options.onError?.(error) === false;
  const detail = { error, call: call?.name, id: call?.id };
  if (emit('error', detail, true) && !quiet) console.error('Sijax:', error);
}

/** Reports a transport failure and ends the call, unless it has already ended (e.g. aborted). */
export function fail(call: Call, error: Error): void {
  if (!calls.has(call.id)) return;
  report(error, call);
  call.settle();
}

/** Registers a new call and builds its handle; `abort` stops the transport. */
export function openCall(
  name: string,
  args: unknown[],
  options: CallOptions,
  abort: () => void,
): [Call, SijaxCall] {
  // The counter keeps ids unique within one millisecond; the time keeps them unique across pages.
  const id = Date.now().toString(36) + '_' + (++counter).toString(36);
  let call!: Call;
  const promise = new Promise<unknown>((resolve, reject) => {
    call = {
      name,
      id,
      options,
      // Every call ends once, however it ended: `sijax:done` says so (with `error` if it failed).
      settle(error = call.error) {
        if (!calls.delete(id)) return;
        if (error) reject(error);
        else resolve(call.value);
        emit('done', { call: name, id, value: call.value, error });
      },
    };
  });
  calls.set(id, call);
  // Failures are already reported (onError, event, console): a caller may ignore the handle.
  promise.catch(() => {});
  emit('start', { call: name, id, args });
  const handle = Object.assign(promise, {
    id,
    abort() {
      if (!calls.has(id)) return;
      abort();
      call.settle(sjxError('Aborted', 0, 'AbortError'));
    },
  });
  return [call, handle];
}
