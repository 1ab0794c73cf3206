import type { INestApplication } from '@nestjs/common';
import { Agent, request } from 'http';
import type { Socket } from 'net';
import { testAppModule } from '../fixtures/test-app.module';
import { Probe } from '../fixtures/test-handlers';
import { baseUrl, ChunkReader, parseChunks, sijaxBody } from '../utils/http-client';
import { startApp } from '../utils/test-app';

describe('Comet streaming over real HTTP', () => {
  let app: INestApplication;
  let probe: Probe;
  let url: string;

  beforeEach(async () => {
    app = await startApp([testAppModule()]);
    probe = app.get(Probe);
    url = `${baseUrl(app)}/sijax`;
  });

  afterEach(() => app.close());

  it('sends chunk k while the handler is held before step k+1', async () => {
    const reader = new ChunkReader(url, sijaxBody('run', [3]));
    for (let step = 1; step <= 3; step++) {
      const text = await reader.waitFor((body) => parseChunks(body).length === step);
      // The handler is still parked on latch `step`: nothing after it has run.
      expect(probe.finished).toBe(false);
      expect(reader.ended).toBe(false);
      expect(parseChunks(text)[step - 1]).toEqual([
        { type: 'html', selector: '#progress', html: `${step} of 3`, setType: 'replace' },
        { type: 'attr', selector: '#bar', key: 'value', value: step, setType: 'replace' },
      ]);
      probe.latch(step).open();
    }
    await reader.done;
    expect(probe.finished).toBe(true);
    expect(parseChunks(reader.text)).toHaveLength(4);
    expect(parseChunks(reader.text)[3]).toEqual([{ type: 'alert', alert: 'Done' }]);
  });

  it("keeps the connection alive: a second Comet call reuses the first one's socket", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const post = (name: string) =>
      new Promise<{ socket: Socket; body: string; connection?: string }>((resolve, reject) => {
        const req = request(url, {
          method: 'POST',
          agent,
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        });
        req.on('response', (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () =>
            resolve({ socket: req.socket as Socket, body, connection: res.headers.connection }),
          );
        });
        req.on('error', reject);
        req.end(sijaxBody(name));
      });
    try {
      const first = await post('tail');
      const second = await post('noYield');
      expect(first.connection).not.toBe('close');
      expect(parseChunks(first.body)).toHaveLength(2);
      expect(parseChunks(second.body)).toEqual([
        [
          { type: 'alert', alert: 'one' },
          { type: 'alert', alert: 'two' },
        ],
      ]);
      expect(second.socket).toBe(first.socket);
    } finally {
      agent.destroy();
    }
  });

  it('answers with streaming headers and pads the first chunk', async () => {
    const reader = new ChunkReader(url, sijaxBody('tail'));
    await reader.done;
    expect(reader.response?.statusCode).toBe(200);
    expect(reader.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(reader.headers['cache-control']).toBe('no-store');
    expect(reader.headers['x-accel-buffering']).toBe('no');
    expect(reader.text).toMatch(/^\n<script type='text\/javascript' nonce="[^"]+"><\/script>\n{3}/);
    expect(reader.text.indexOf('window.parent')).toBeGreaterThan(2000);
  });

  it('sends commands queued after the last yield (the original lost them)', async () => {
    const reader = new ChunkReader(url, sijaxBody('tail'));
    await reader.done;
    expect(parseChunks(reader.text)).toEqual([
      [{ type: 'html', selector: '#a', html: '1', setType: 'replace' }],
      [{ type: 'html', selector: '#b', html: '2', setType: 'replace' }],
    ]);
  });

  it('answers once at the end when the handler never yields', async () => {
    const reader = new ChunkReader(url, sijaxBody('noYield'));
    await reader.done;
    expect(parseChunks(reader.text)).toEqual([
      [
        { type: 'alert', alert: 'one' },
        { type: 'alert', alert: 'two' },
      ],
    ]);
  });

  it.each([
    ['countSync', [3], 3],
    ['count_down', [2], 2],
    ['observable', [], 3],
  ])('streams %s as one chunk per step', async (name, args, chunks) => {
    const reader = new ChunkReader(url, sijaxBody(name, args));
    await reader.done;
    expect(parseChunks(reader.text)).toHaveLength(chunks);
  });

  it('sends an async function result and its return value', async () => {
    const reader = new ChunkReader(url, sijaxBody('asyncFunction', ['abc']));
    await reader.done;
    expect(parseChunks(reader.text)).toEqual([
      [
        { type: 'html', selector: '#out', html: 'abc', setType: 'replace' },
        { type: 'return', value: 3 },
      ],
    ]);
  });

  it('echoes the client call id in every chunk', async () => {
    const reader = new ChunkReader(url, sijaxBody('countSync', [2], { sijax_call: 'c1_a' }));
    await reader.done;
    expect(reader.text.match(/processCommands\(\[.*?\],"c1_a"\);<\/script>/g)).toHaveLength(2);
  });

  it('escapes values so they cannot leave the script element', async () => {
    const hostile = '</script><script>window.pwned=1</script><!--\u2028';
    const reader = new ChunkReader(url, sijaxBody('inject', [hostile]));
    await reader.done;
    expect(reader.text).not.toContain('</script><script>window.pwned');
    expect(reader.text).not.toContain('<!--');
    expect(parseChunks(reader.text)).toEqual([
      [{ type: 'html', selector: '#x', html: hostile, setType: 'replace' }],
    ]);
  });

  it('keeps the chunks sent before a failure and ends with an error chunk', async () => {
    const reader = new ChunkReader(url, sijaxBody('failAfter', [2]));
    await reader.done;
    const batches = parseChunks(reader.text);
    expect(batches).toHaveLength(3);
    expect(batches[2]).toEqual([
      { type: 'error', error: 'Internal server error', status: 500, name: 'InternalServerError' },
    ]);
    expect(reader.text).not.toContain('secret internal detail');
  });
});

describe('response.signal', () => {
  it('does not fire when a Comet call ends normally', async () => {
    const app = await startApp([testAppModule()]);
    try {
      const probe = app.get(Probe);
      const reader = new ChunkReader(`${baseUrl(app)}/sijax`, sijaxBody('signalAfterEnd'));
      await reader.done;
      await new Promise((resolve) => setImmediate(resolve));
      expect(probe.history).toEqual(['ended', 'signal aborted: false']);
    } finally {
      await app.close();
    }
  });
});
