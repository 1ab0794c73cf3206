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

  /**
   * `resumable`: the head says so, with the heartbeat period (ms, 0 for none), so that the page
   * resumes a cut stream, and notices a silent one.
   */
  constructor(
    private readonly resumable = false,
    private readonly heartbeatMs = 0,
  ) {}

  preamble(): string {
    return '';
  }

  headers(): Record<string, string> {
    if (!this.resumable) return { ...SSE_HEADERS };
    return { ...SSE_HEADERS, [RESUMABLE_HEADER]: String(this.heartbeatMs) };
  }

  batch(commands: readonly SijaxCommand[], offset: number): string {
    return sseCommandsFrame(offset, JSON.stringify(commands));
  }

  batchOfJson(json: string, offset: number): string {
    return sseCommandsFrame(offset, json);
  }
}
