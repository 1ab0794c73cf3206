import { FIELD_ATTACH, FIELD_CANCEL } from '../lib/protocol/wire-names';
import { calls, fail, openCall, type Call } from './calls';
import { getTransport } from './config';
import { fetchStream } from './fetch-stream';
import { iframeStream } from './iframe-stream';
import { postFields, postForm, postHeaders } from './post';
import type { CallOptions, CometTransport, SijaxCall } from './types';
import { emit, streamCut } from './util';

/** Reconnects of a cut resumable call: 250 ms doubling to 4 s, for up to 30 s in all. */
const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 4000;
const GIVE_UP_MS = 30_000;

type Connect = (
  call: Call,
  fields: Record<string, string>,
  after: number | undefined,
  onCut: () => void,
) => () => void;

type Follow = (
  call: Call,
  fields: Record<string, string>,
  transport: CometTransport,
  after?: number,
) => () => void;

const connectOver = (transport: CometTransport): Connect =>
  transport === 'fetch' ? fetchStream : iframeStream;

/** Runs a stream over `transport`; a cut fails the call (a build without resumable calls). */
const followOnce: Follow = (call, fields, transport, after) =>
  connectOver(transport)(call, fields, after, () => fail(call, streamCut()));

/**
 * Runs a stream over `transport`, and reconnects it when a resumable call is cut: the same
 * fields again, from the last offset processed. A cut that is not resumable fails the call.
 */
const followResumable: Follow = (call, fields, transport, after) => {
  const connect = connectOver(transport);
  let attempt = 0;
  let cutAt = 0;
  let offsetAtCut = -1;
  let stop = (): void => undefined;
  let watchdog: ReturnType<typeof setTimeout> | undefined;
  // A connection can die silently (a laptop sleeps, a network goes): three missed heartbeats
  // mean it did.
  call.alive = () => {
    clearTimeout(watchdog);
    if (call.heartbeatMs && calls.has(call.id)) {
      watchdog = setTimeout(() => (stop(), reconnect()), 3 * call.heartbeatMs);
    }
  };
  const reconnect = () => {
    clearTimeout(watchdog);
    if (!calls.has(call.id)) return;
    if (!call.resumable) return fail(call, streamCut());
    const now = Date.now();
    // Batches arrived since the last cut: this is a new cut, with a fresh budget.
    if (call.offset > offsetAtCut) [attempt, cutAt] = [0, now];
    offsetAtCut = call.offset;
    const delay = Math.min(FIRST_RETRY_MS * 2 ** attempt, MAX_RETRY_MS);
    if (now + delay - cutAt > GIVE_UP_MS) {
      return fail(call, streamCut());
    }
    emit('reconnect', { call: call.name, id: call.id, attempt: ++attempt, after: call.offset });
    setTimeout(() => {
      if (calls.has(call.id)) stop = connect(call, fields, call.offset, reconnect);
    }, delay);
  };
  stop = connect(call, fields, after, reconnect);
  return () => {
    clearTimeout(watchdog);
    stop();
    // Stopping a resumable call's connection only detaches it: ask the server to stop it (also
    // while unknown: the server answers a call that is not resumable with a harmless 410).
    if (call.resumable === false) return;
    const fields = { [FIELD_CANCEL]: call.id };
    const headers = postHeaders('application/json');
    void postForm(call, fields, headers, { keepalive: true }).catch(() => undefined);
  };
};

const follow = SIJAX_RESUME ? followResumable : followOnce;

/**
 * A Comet call: its batches run as they arrive, over the page's transport (`Sijax.configure`)
 * or the call's own (`options.transport`): a hidden iframe (default) or fetch.
 */
export function cometRequest<T = unknown>(
  name: string,
  args: unknown[] = [],
  options: CallOptions = {},
): SijaxCall<T> {
  let stop = (): void => undefined;
  const [call, handle] = openCall(name, args, options, () => stop());
  stop = follow(call, postFields(call, args), options.transport || getTransport());
  return handle as SijaxCall<T>;
}

/** Options of `Sijax.attach()`. */
export interface AttachOptions extends CallOptions {
  /** The last offset the page already has: only later batches come. @default 0 */
  after?: number;
}

/**
 * Follows a resumable call by its id (a reload, a second tab): its batches so far, then the
 * live ones, and a handle that settles with its end.
 */
export function attach<T = unknown>(callId: string, options: AttachOptions = {}): SijaxCall<T> {
  let stop = (): void => undefined;
  const [call, handle] = openCall('', [], options, () => stop(), callId);
  call.resumable = true;
  call.offset = options.after ?? 0;
  const fields = { [FIELD_ATTACH]: callId };
  stop = follow(call, fields, options.transport || getTransport(), options.after);
  return handle as SijaxCall<T>;
}
