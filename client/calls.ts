import type { CallContext, CallOptions, SijaxCall } from './types';
import { emit, sjxError } from './util';

export interface Call extends CallContext {
  /** Ends the call once: rejects with `error` (or the call's first error), else resolves. */
  settle(error?: Error): void;
  /** What the server said: resumable (a cut stream is reconnected), or not; unknown at first. */
  resumable?: boolean;
  /** A resumable stream's heartbeat period: silence for three of them is a cut. */
  heartbeatMs?: number;
  /** Called on every sign of life of the stream (a watchdog for silent cuts). */
  alive?: () => void;
  /** The last batch processed (its offset): a reconnect resumes after it, nothing runs twice. */
  offset: number;
  /** The stream's end marker came: a cut is told apart from an end. */
  ended?: boolean;
}

/** Calls still running, by id: `processCommands(commands, id)` routes to them. */
export const calls = new Map<string, Call>();

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

/** 128 random bits, base64url: a resumable call's id is all it takes to follow it. */
function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .slice(0, 22);
}

/** Registers a new call (or an attach to `id`) and builds its handle; `abort` stops it. */
export function openCall(
  name: string,
  args: unknown[],
  options: CallOptions,
  abort: () => void,
  id = randomId(),
): [Call, SijaxCall] {
  let call!: Call;
  const promise = new Promise<unknown>((resolve, reject) => {
    call = {
      name,
      id,
      options,
      offset: 0,
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
