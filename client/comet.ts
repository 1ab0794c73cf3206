import { openCall } from './calls';
import { getTransport } from './config';
import { fetchStream } from './fetch-stream';
import { iframeStream } from './iframe-stream';
import type { CallOptions, SijaxCall } from './types';

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
  if ((options.transport || getTransport()) === 'fetch') {
    const controller = new AbortController();
    stop = () => controller.abort();
    fetchStream(call, args, controller);
  } else {
    stop = iframeStream(call, args);
  }
  return handle as SijaxCall<T>;
}
