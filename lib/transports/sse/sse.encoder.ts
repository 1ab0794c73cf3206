import type { SijaxCommand } from '../../protocol/commands';
import { EVENT_STREAM, RESUMABLE_HEADER } from '../../protocol/wire-names';
import { SSE_END_FRAME, SSE_HEARTBEAT, sseCommandsFrame } from '../../protocol/sse-frame';
import type { StreamEncoder } from '../stream-encoder';

const SSE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': `${EVENT_STREAM}; charset=utf-8`,
  'Cache-Control': 'no-store',
  'X-Accel-Buffering': 'no',
  'X-Content-Type-Options': 'nosniff',
};

/**
 * The fetch transport: a streamed `text/event-stream` body, one `commands` frame per batch, read
 * by the client from `fetch`. No script runs, so the page needs no nonce or inline-script policy.
 */
export class SseEncoder implements StreamEncoder {
  readonly heartbeat = SSE_HEARTBEAT;
  readonly ending = SSE_END_FRAME;
  readonly preamble = '';

  /** `resumable`: the head says so, and a cut stream may be resumed. */
  constructor(private readonly resumable = false) {}

  headers(): Record<string, string> {
    return this.resumable ? { ...SSE_HEADERS, [RESUMABLE_HEADER]: '1' } : { ...SSE_HEADERS };
  }

  batch(commands: readonly SijaxCommand[], offset: number): string {
    return sseCommandsFrame(offset, JSON.stringify(commands));
  }

  batchOfJson(json: string, offset: number): string {
    return sseCommandsFrame(offset, json);
  }
}
