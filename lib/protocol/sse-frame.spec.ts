import {
  SSE_END_FRAME,
  SSE_HEARTBEAT,
  sseCommandsFrame,
  sseParser,
  type SseEvent,
} from './sse-frame';

function parse(...pieces: string[]): SseEvent[] {
  const events: SseEvent[] = [];
  const push = sseParser((event) => events.push(event));
  for (const piece of pieces) push(piece);
  return events;
}

describe('SSE frames', () => {
  it('writes a batch as one frame whose id is its offset', () => {
    expect(sseCommandsFrame(3, '[{"type":"alert","alert":"x"}]')).toBe(
      'id: 3\nevent: commands\ndata: [{"type":"alert","alert":"x"}]\n\n',
    );
  });

  it('reads frames back however the stream is cut, and ignores heartbeats', () => {
    const hostile = JSON.stringify([{ type: 'html', html: 'a\nb\r\nc\rd\u2028e\n\ndata: x' }]);
    const text =
      sseCommandsFrame(1, hostile) + SSE_HEARTBEAT + sseCommandsFrame(2, '[]') + SSE_END_FRAME;
    const whole = parse(text);
    expect(whole).toEqual([
      { id: '1', event: 'commands', data: hostile },
      { id: '2', event: 'commands', data: '[]' },
      { id: '2', event: 'end', data: '{}' },
    ]);
    // Byte by byte, the same events: nothing depends on how the body arrives.
    expect(parse(...text.split(''))).toEqual(whole);
  });

  it('follows the EventSource rules for line ends, data lines and fields', () => {
    expect(
      parse('data: a\r\ndata:b\r\n\r\nevent: e\rdata\r\r', 'id: 9\n: note\nretry: 5\ndata: z\n\n'),
    ).toEqual([
      { id: undefined, event: 'message', data: 'a\nb' },
      { id: undefined, event: 'e', data: '' },
      { id: '9', event: 'message', data: 'z' },
    ]);
  });

  it('dispatches nothing for a frame that was cut before its blank line', () => {
    expect(parse('id: 1\nevent: commands\ndata: [1]\n')).toEqual([]);
  });
});
