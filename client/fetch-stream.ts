import { SSE_COMMANDS_EVENT, SSE_END_EVENT, sseParser } from '../lib/protocol/sse-frame';
import { EVENT_STREAM } from '../lib/protocol/wire-names';
import type { Call } from './calls';
import { processCommands } from './process';
import { failWith, post, readCommands } from './transport';
import type { SijaxCommand } from './types';
import { sjxError } from './util';

/**
 * The fetch transport of a Comet call: the answer is an event stream read as it arrives, one
 * `commands` frame per batch, `end` last. A refusal comes back as JSON commands, like a regular
 * call's; a stream that stops without `end` was cut short.
 */
export function fetchStream(call: Call, args: unknown[], controller: AbortController): void {
  post(call, args, EVENT_STREAM, controller)
    .then(async (response) => {
      const type = response.headers.get('Content-Type') || '';
      if (!type.startsWith(EVENT_STREAM) || !response.body) return readCommands(call, response);
      let ended = false;
      const push = sseParser((event) => {
        if (event.event === SSE_END_EVENT) ended = true;
        else if (event.event === SSE_COMMANDS_EVENT) {
          processCommands(JSON.parse(event.data) as SijaxCommand[], call.id);
        }
      });
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        push(decoder.decode(value, { stream: true }));
      }
      if (!ended) throw sjxError('The stream was cut short', 0, 'StreamCutError');
    })
    .then(() => call.settle(), failWith(call));
}
