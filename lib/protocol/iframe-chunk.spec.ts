import { createChunkFrame, firstChunkPadding, readScriptChunks, scriptChunk } from './iframe-chunk';
import { toScriptJson } from './script-json';

describe('toScriptJson', () => {
  it.each([
    ['</script><script>alert(1)</script>'],
    ['<!-- comment'],
    ['a & b > c'],
    ['line\u2028separator\u2029paragraph'],
  ])('escapes %j so it cannot leave the script element, and keeps its value', (text) => {
    const json = toScriptJson([{ type: 'html', html: text }]);
    expect(json).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(json)).toEqual([{ type: 'html', html: text }]);
  });

  it('leaves safe JSON unchanged', () => {
    expect(toScriptJson({ a: 'plain', b: [1, true] })).toBe('{"a":"plain","b":[1,true]}');
  });
});

describe('scriptChunk', () => {
  it('wraps the batch in one script element calling the parent window', () => {
    const chunk = scriptChunk(createChunkFrame(), [{ type: 'alert', alert: 'hi' }]);
    expect(chunk).toBe(
      '<script>window.parent.Sijax.processCommands([{"type":"alert","alert":"hi"}]);</script>\n',
    );
  });

  it('passes the call id and a nonce when given, escaped', () => {
    const chunk = scriptChunk(createChunkFrame('a</script>', 'n0nce'), []);
    expect(chunk).toBe(
      '<script nonce="n0nce">window.parent.Sijax.processCommands([],"a\\u003c/script\\u003e");</script>\n',
    );
  });

  it('numbers the batches of a resumable call after the call id', () => {
    const frame = createChunkFrame('c1', undefined, true);
    expect(scriptChunk(frame, [], 7)).toBe(
      '<script>window.parent.Sijax.processCommands([],"c1",7);</script>\n',
    );
    // Without a call id there is nothing to resume: no number either.
    expect(scriptChunk(createChunkFrame(undefined, undefined, true), [], 7)).toBe(
      '<script>window.parent.Sijax.processCommands([]);</script>\n',
    );
  });

  it('pads the first chunk past 2 KB as the original did', () => {
    expect(firstChunkPadding().length).toBeGreaterThan(2000);
    expect(firstChunkPadding().trim()).toBe("<script type='text/javascript'></script>");
    expect(firstChunkPadding('n').trim()).toBe(
      '<script type=\'text/javascript\' nonce="n"></script>',
    );
  });
});

describe('readScriptChunks', () => {
  it('reads back what scriptChunk wrote, hostile payloads included, and stops at a partial chunk', () => {
    const hostile = [{ type: 'html', html: '</script><script>x()</script> );</script>' }];
    const frame = createChunkFrame('id', 'n', true);
    const text =
      firstChunkPadding('n') + scriptChunk(frame, hostile, 1) + scriptChunk(frame, [], 2);
    const cut = text.slice(0, -5);
    expect(readScriptChunks(cut).chunks).toEqual([{ commands: hostile, callId: 'id', offset: 1 }]);
    const { chunks, next } = readScriptChunks(text);
    expect(chunks.map((chunk) => chunk.offset)).toEqual([1, 2]);
    expect(next).toBe(text.length);
  });
});
