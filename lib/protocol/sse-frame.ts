/**
 * The fetch transport's format: a `text/event-stream` body. Each batch is one `commands` frame whose
 * `id` is the batch's offset (strictly increasing per call); every call that ends sends `end` last,
 * so a stream cut short is told apart from one that ended; heartbeats are comment lines.
 */
export const SSE_COMMANDS_EVENT = 'commands';
export const SSE_END_EVENT = 'end';
export const SSE_END_FRAME = 'event: end\ndata: {}\n\n';
export const SSE_HEARTBEAT = ': \n\n';

/** `json` is one line: JSON.stringify escapes every line break a payload may hold. */
export function sseCommandsFrame(offset: number, json: string): string {
  return 'id: ' + offset + '\nevent: commands\ndata: ' + json + '\n\n';
}

/** One event of an event stream, as the EventSource specification reads it. */
export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

/**
 * Reads an event stream incrementally, as it arrives: returns the function to feed it text. Lines
 * end in LF, CRLF or CR; `data` lines join with LF; a blank line dispatches; comments and
 * unknown fields are ignored. Linear in the input: each character is looked at once. (Closures,
 * not a class: the browser client's minifier can shorten their names.)
 */
export function sseParser(onEvent: (event: SseEvent) => void): (text: string) => void {
  let line = '';
  let afterCr = false;
  let data: string[] = [];
  let event = '';
  let id: string | undefined;

  const takeLine = (text: string): void => {
    if (text === '') {
      if (data.length > 0) onEvent({ id, event: event || 'message', data: data.join('\n') });
      data = [];
      event = '';
      return;
    }
    if (text.charCodeAt(0) === 58) return; // ':' comment (heartbeat)
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? '' : text.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
    else if (field === 'id' && !value.includes('\0')) id = value;
  };

  return (text) => {
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      // LF straight after CR ends nothing: CRLF is one line break.
      if (!(c === 10 && afterCr && i === start)) {
        takeLine(line + text.slice(start, i));
        line = '';
      }
      afterCr = c === 13;
      start = i + 1;
    }
    if (start < text.length) {
      line += text.slice(start);
      afterCr = false;
    }
  };
}
