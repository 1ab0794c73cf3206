import type { SijaxCommand } from '../response/sijax-command.interface';

const UNSAFE = /[<>&\u2028\u2029]/;

/**
 * JSON that is safe inside an HTML `<script>`: `</script>`, `<!--` and line separators cannot break
 * out. These characters only occur inside JSON strings, where `\uXXXX` means the same. One
 * native pass per character kind is faster than a callback per match on HTML payloads.
 */
export function toScriptJson(value: unknown): string {
  let json = JSON.stringify(value) ?? 'null';
  if (!UNSAFE.test(json)) return json;
  json = json.replace(/</g, '\\u003c').replace(/>/g, '\\u003e');
  if (json.includes('&')) json = json.replace(/&/g, '\\u0026');
  if (json.includes('\u2028')) json = json.replace(/\u2028/g, '\\u2028');
  if (json.includes('\u2029')) json = json.replace(/\u2029/g, '\\u2029');
  return json;
}

/**
 * The original pads the first chunk because some browsers buffer ~2 KB of a streamed iframe
 * document before they run it.
 */
const PADDING = '\n'.repeat(2000);

export function firstChunkPadding(nonce?: string): string {
  const nonceAttribute = nonce ? ` nonce="${nonce}"` : '';
  return `\n<script type='text/javascript'${nonceAttribute}></script>\n\n${PADDING}`;
}

/** The parts around a batch's JSON, built once per call so a chunk is one concatenation. */
export interface ChunkFrame {
  readonly open: string;
  readonly close: string;
}

const PLAIN_CLOSE = ');</script>\n';

export function createChunkFrame(callId?: string, nonce?: string): ChunkFrame {
  const nonceAttribute = nonce ? ` nonce="${nonce}"` : '';
  return {
    open: `<script${nonceAttribute}>window.parent.Sijax.processCommands(`,
    close: callId ? `,${toScriptJson(callId)});</script>\n` : PLAIN_CLOSE,
  };
}

/** One chunk of a Comet response. */
export function scriptChunk(frame: ChunkFrame, commands: readonly SijaxCommand[]): string {
  return frame.open + toScriptJson(commands) + frame.close;
}
