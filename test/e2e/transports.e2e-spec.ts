import type { INestApplication } from '@nestjs/common';
import { SijaxTestClient, errorOf } from '../../lib/testing';
import { testAppModule } from '../fixtures/test-app.module';
import { CancellableHandlers, LifecycleProbe } from '../fixtures/lifecycle-handlers';
import { Probe } from '../fixtures/test-handlers';
import { baseUrl, ChunkReader, sijaxBody } from '../utils/http-client';
import { startApp } from '../utils/test-app';

/**
 * One behavioural suite, run over both Comet transports: a hidden iframe's script chunks (the
 * original's) and fetch with an SSE-framed body. The same handlers, the same guarantees.
 */
describe.each(['iframe', 'fetch'] as const)('Comet over the %s transport', (transport) => {
  let app: INestApplication;
  let probe: Probe;
  let sijax: SijaxTestClient;

  beforeAll(async () => {
    app = await startApp([testAppModule({}, { providers: [LifecycleProbe, CancellableHandlers] })]);
    probe = app.get(Probe);
    sijax = await SijaxTestClient.create(app);
  });

  afterAll(async () => {
    await sijax.close();
    await app.close();
  });

  beforeEach(() => {
    probe.latches = [];
    probe.finished = probe.finallyRan = false;
  });

  it('delivers batch k while the handler is held before step k+1', async () => {
    const call = sijax.comet('run', [3], { transport });
    for (let step = 1; step <= 3; step++) {
      const { value } = await call.next();
      expect(probe.finished).toBe(false);
      expect(value).toEqual([
        { type: 'html', selector: '#progress', html: `${step} of 3` },
        { type: 'attr', selector: '#bar', key: 'value', value: step },
      ]);
      probe.latch(step).open();
    }
    expect((await call.next()).value).toEqual([{ type: 'alert', alert: 'Done' }]);
    expect((await call.next()).done).toBe(true);
    expect(call.ended).toBe(true);
  });

  it('ends with the return value, as a return command in the last batch', async () => {
    const call = sijax.comet('asyncFunction', ['four'], { transport });
    expect(await call.all()).toEqual([
      [
        { type: 'html', selector: '#out', html: 'four' },
        { type: 'return', value: 4 },
      ],
    ]);
    expect(await call.result()).toBe(4);
  });

  it('keeps what was sent before a failure, then an error command, and ends properly', async () => {
    const call = sijax.comet('failAfter', [2], { transport });
    const batches = await call.all();
    expect(batches).toHaveLength(3);
    expect(errorOf(batches)).toEqual({
      type: 'error',
      error: 'Internal server error',
      status: 500,
      name: 'InternalServerError',
    });
    expect(call.ended).toBe(true);
  });

  it('carries every byte of a hostile payload', async () => {
    const hostile =
      '</script><script>alert(1)</script>\n\ndata: {"forged":1}\r\n\r\nid: 99\u2028\u2029<!--&';
    const call = sijax.comet('inject', [hostile], { transport });
    expect(await call.all()).toEqual([[{ type: 'html', selector: '#x', html: hostile }]]);
  });

  it('cancels the handler within 100 ms of the connection dropping', async () => {
    const lifecycle = app.get(LifecycleProbe);
    const tag = `${transport}-cancel`;
    const call = sijax.comet('signal_wait', [tag], { transport });
    await call.next();
    const droppedAt = Date.now();
    // Resolves once the server's call settled: the handler's finally has run.
    await call.cancel();
    const record = lifecycle.call(tag);
    expect(record.response!.signal.aborted).toBe(true);
    expect(record.finallyAt).toBeDefined();
    expect(record.finallyAt! - droppedAt).toBeLessThan(100);
  });

  it('answers a regular registration once, in JSON, whatever the transport asked for', async () => {
    const call = sijax.comet('say_hello', ['Ann'], { transport });
    expect(await call.all()).toEqual([[{ type: 'alert', alert: 'Hello Ann' }]]);
    expect(call.headers?.['content-type']).toBe('application/json; charset=utf-8');
  });
});

describe('The fetch transport on the wire', () => {
  let app: INestApplication;
  let url: string;
  const sse = { Accept: 'text/event-stream' };

  beforeAll(async () => {
    app = await startApp([testAppModule({ heartbeatMs: 40 })]);
    url = `${baseUrl(app)}/sijax`;
  });

  afterAll(() => app.close());

  it('streams SSE frames with increasing ids, and event: end last', async () => {
    const reader = new ChunkReader(url, sijaxBody('tail'), sse);
    await reader.done;
    expect(reader.response?.statusCode).toBe(200);
    expect(reader.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(reader.headers['cache-control']).toBe('no-store');
    expect(reader.headers['x-accel-buffering']).toBe('no');
    expect(reader.text).toBe(
      'id: 1\nevent: commands\ndata: [{"type":"html","selector":"#a","html":"1","setType":"replace"}]\n\n' +
        'id: 2\nevent: commands\ndata: [{"type":"html","selector":"#b","html":"2","setType":"replace"}]\n\n' +
        'event: end\ndata: {}\n\n',
    );
  });

  it('sends comment lines as heartbeats on a silent stream', async () => {
    const probe = app.get(Probe);
    probe.latches = [];
    const reader = new ChunkReader(url, sijaxBody('run', [2]), sse);
    await reader.waitFor((text) => text.includes('id: 1\n'));
    await reader.waitFor((text) => text.includes('\n\n: \n\n'));
    probe.latch(1).open();
    probe.latch(2).open();
    await reader.done;
    expect(reader.text.endsWith('event: end\ndata: {}\n\n')).toBe(true);
  });

  it('refuses before the stream starts with the real status and JSON commands', async () => {
    const reader = new ChunkReader(url, sijaxBody('run', [1]), {
      ...sse,
      'Sec-Fetch-Site': 'cross-site',
    });
    await reader.done;
    expect(reader.response?.statusCode).toBe(403);
    expect(reader.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(reader.text)).toEqual([
      expect.objectContaining({ type: 'error', status: 403 }),
    ]);
  });

  it('streams the invalid-request alert of an unknown name, then end', async () => {
    const reader = new ChunkReader(url, sijaxBody('no_such_function'), sse);
    await reader.done;
    expect(reader.text).toContain('"type":"alert"');
    expect(reader.text.endsWith('event: end\ndata: {}\n\n')).toBe(true);
  });
});
