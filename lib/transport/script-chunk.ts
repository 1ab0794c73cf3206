import type { SijaxCommand } from '../response/sijax-command.interface';

const UNSAFE_TEST = /[<>&\u2028\u2029]/;
const UNSAFE = /[<>&\u2028\u2029]/g;
const ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/**
 * JSON that is safe inside an HTML `<script>`: `</script>`, `<!--` and line separators cannot break
 * out. These characters only occur inside JSON strings, where `\uXXXX` means the same.
 */
export function toScriptJson(value: unknown): string {
  const json = JSON.stringify(value) ?? 'null';
  return UNSAFE_TEST.test(json) ? json.replace(UNSAFE, (char) => ESCAPES[char]) : json;
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

export function createChunkFrame(callId?: string, nonce?: string): ChunkFrame {
  const nonceAttribute = nonce ? ` nonce="${nonce}"` : '';
  const callIdArgument = callId ? `,${toScriptJson(callId)}` : '';
  return {
    open: `<script${nonceAttribute}>window.parent.Sijax.processCommands(`,
    close: `${callIdArgument});</script>\n`,
  };
}

/** One chunk of a Comet response. */
export function scriptChunk(frame: ChunkFrame, commands: readonly SijaxCommand[]): string {
  return frame.open + toScriptJson(commands) + frame.close;
}
