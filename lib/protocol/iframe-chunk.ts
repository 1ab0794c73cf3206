import type { SijaxCommand } from './commands';
import { escapeScriptJson, toScriptJson } from './script-json';

/**
 * The iframe transport's format: an HTML document whose script chunks call the page's
 * `Sijax.processCommands(commands, callId?, offset?)`, one chunk per batch.
 */
export const PROCESS_COMMANDS = 'window.parent.Sijax.processCommands(';
const CHUNK_END = ');</script>\n';

/**
 * The original pads the first chunk because some browsers buffer ~2 KB of a streamed iframe
 * document before they run it.
 */
const PADDING = /* @__PURE__ */ '\n'.repeat(2000);

export function firstChunkPadding(nonce?: string): string {
  const nonceAttribute = nonce ? ` nonce="${nonce}"` : '';
  return `\n<script type='text/javascript'${nonceAttribute}></script>\n\n${PADDING}`;
}

/**
 * Offsets a resumable call's iframe chunks carry besides batch numbers (1, 2, ...): its document
 * opens with an empty chunk at offset 0, which tells the page the call can be resumed (and, as a
 * fourth argument, the heartbeat period), and ends with one at -1, which tells an end from a cut.
 * Its heartbeats are empty chunks without an offset: an iframe whose connection dropped fires no
 * event at all, so the page notices a cut by their absence.
 */
export const START_OFFSET = 0;
export const END_OFFSET = -1;

/** The parts around a batch's JSON, built once per call so that a chunk is one concatenation. */
export interface ChunkFrame {
  readonly open: string;
  /** After the JSON: the call id argument, then the offset when the call is resumable. */
  readonly close: string;
  readonly numbered: boolean;
}

/**
 * `callId` routes the batch to that call's handle; `numbered` adds each batch's offset, which a
 * resumable call's client resumes from.
 */
export function createChunkFrame(callId?: string, nonce?: string, numbered = false): ChunkFrame {
  const nonceAttribute = nonce ? ` nonce="${nonce}"` : '';
  const id = callId ? ',' + toScriptJson(callId) : '';
  return {
    open: `<script${nonceAttribute}>${PROCESS_COMMANDS}`,
    close: numbered && id ? id + ',' : id + CHUNK_END,
    numbered: numbered && id !== '',
  };
}

/** One chunk of a Comet response. */
export function scriptChunk(
  frame: ChunkFrame,
  commands: readonly SijaxCommand[],
  offset = 0,
): string {
  return scriptChunkOfJson(frame, JSON.stringify(commands), offset);
}

/** The same, from the batch's JSON. */
export function scriptChunkOfJson(frame: ChunkFrame, commandsJson: string, offset = 0): string {
  const json = escapeScriptJson(commandsJson);
  return frame.numbered
    ? frame.open + json + frame.close + offset + CHUNK_END
    : frame.open + json + frame.close;
}

/** A resumable call's opening chunk: offset 0, and the heartbeat period the page may expect. */
export function startChunk(frame: ChunkFrame, heartbeatMs: number): string {
  return frame.open + '[]' + frame.close + START_OFFSET + ',' + heartbeatMs + CHUNK_END;
}

/** A chunk read back: its commands, the call id and offset it carried. */
export interface ReadChunk {
  commands: SijaxCommand[];
  callId?: string;
  offset?: number;
}

/**
 * The chunks of an iframe document received so far, and where the unread rest starts. Linear:
 * JSON in chunks has `<` escaped, so the first `);</script>` after a start ends that chunk.
 */
export function readScriptChunks(text: string, from = 0): { chunks: ReadChunk[]; next: number } {
  const chunks: ReadChunk[] = [];
  let next = from;
  for (;;) {
    const start = text.indexOf(PROCESS_COMMANDS, next);
    if (start < 0) break;
    const end = text.indexOf(CHUNK_END, start);
    if (end < 0) break;
    const args = JSON.parse(`[${text.slice(start + PROCESS_COMMANDS.length, end)}]`) as [
      SijaxCommand[],
      string?,
      number?,
    ];
    chunks.push({ commands: args[0], callId: args[1], offset: args[2] });
    next = end + CHUNK_END.length;
  }
  return { chunks, next };
}
