import { SSE_COMMANDS_EVENT, SSE_END_EVENT, sseParser } from '../lib/protocol/sse-frame';
import { EVENT_STREAM, LAST_EVENT_ID_HEADER, RESUMABLE_HEADER } from '../lib/protocol/wire-names';
import type { Call } from './calls';
import { postForm, postHeaders } from './post';
import { processCommands } from './process';
import { failWith, readCommands } from './transport';
import type { SijaxCommand } from './types';

/**
 * Reads a call's event stream as it arrives (fed text, any cut): each `commands` frame runs at
 * once, `end` marks the call ended. Shared by the fetch transport and uploads over XHR.
 */
export const sseReader = (call: Call): ((text: string) => void) =>
  sseParser((event) => {
    if (event.event === SSE_END_EVENT) call.ended = true;
    else if (event.event === SSE_COMMANDS_EVENT) {
      processCommands(JSON.parse(event.data) as SijaxCommand[], call.id, Number(event.id));
    }
  });

/**
 * The fetch transport of a Comet call: the answer is an event stream read as it arrives, one
 * `commands` frame per batch, `end` last. A refusal comes back as JSON commands, like a regular
 * call's. A stream that stops without `end` (or a lost connection) was cut: `onCut` decides.
 * `after`: a resumable call's reconnect, from that offset on. Returns what stops it.
 */
export function fetchStream(
  call: Call,
  fields: Record<string, string>,
  after: number | undefined,
  onCut: () => void,
): () => void {
  const controller = new AbortController();
  const headers = postHeaders(EVENT_STREAM);
  if (SIJAX_RESUME && after !== undefined) headers[LAST_EVENT_ID_HEADER] = String(after);
  postForm(call, fields, headers, { signal: controller.signal })
    .then(async (response) => {
      if (!response.headers.get('Content-Type')?.startsWith(EVENT_STREAM) || !response.body) {
        readCommands(call, response.status, await response.text());
        return call.settle();
      }
      if (SIJAX_RESUME) {
        const resumable = response.headers.get(RESUMABLE_HEADER);
        call.resumable = resumable !== null;
        if (resumable) call.heartbeatMs = Number(resumable);
      }
      const push = sseReader(call);
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
        if (done) break;
        if (SIJAX_RESUME) call.alive?.();
        push(decoder.decode(value, { stream: true }));
      }
      if (call.ended || call.error) call.settle();
      else onCut();
    })
    .catch(
      SIJAX_RESUME
        ? (e: Error & { status?: number }) =>
            // A lost connection of a resumable call is a cut; ours (HTTP errors) and others fail.
            call.resumable && e.status === undefined ? onCut() : failWith(call)(e)
        : failWith(call),
    );
  return () => controller.abort();
}
