import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import type { SijaxEvents, SijaxResponse } from '../../lib';
import { testAppModule } from '../fixtures/test-app.module';
import { baseUrl, ChunkReader, legacyBody, parseChunks, sijaxBody } from '../utils/http-client';
import { startApp } from '../utils/test-app';

describe('Sijax events', () => {
  let app: INestApplication;
  const history: string[] = [];
  const events: SijaxEvents = {
    beforeProcessing: (response) => {
      history.push(`before ${response.callName}`);
      response.script('before');
    },
    afterProcessing: (response) => {
      history.push(`after ${response.callName}`);
      response.css('#after', 'color', 'red');
    },
    invalidRequest: (response, name) => {
      history.push(`invalid request ${name}`);
      response.alert(`no ${name}`);
    },
    invalidCall: (response, name) => {
      history.push(`invalid call ${name}`);
      response.alert(`bad ${name}`);
    },
    callFailed: (response, failure) => {
      history.push(`failed ${response.callName} ${failure.status}`);
      response.html('#problem', failure.message);
    },
  };

  beforeAll(async () => {
    app = await startApp([testAppModule({ events })]);
  });

  beforeEach(() => history.splice(0));
  afterAll(() => app.close());

  const post = (body: string) =>
    request(app.getHttpServer()).post('/sijax').type('form').send(body);

  it('reports a failed call of the original client through callFailed, and only those', async () => {
    const legacy = await post(legacyBody('throws')).expect(200);
    expect(legacy.body).toContainEqual({
      type: 'html',
      selector: '#problem',
      html: 'Internal server error',
      setType: 'replace',
    });
    expect(history).toContain('failed throws 500');
    history.splice(0);
    // The bundled client's calls get an error command instead.
    const modern = await post(sijaxBody('throws')).expect(500);
    expect(modern.body).toContainEqual(expect.objectContaining({ type: 'error', status: 500 }));
    expect(history.some((line) => line.startsWith('failed'))).toBe(false);
  });

  it('runs before, the handler and after in order, on one response', async () => {
    const res = await post(sijaxBody('say_hello', ['Ann'])).expect(200);
    expect(res.body.map((command: { type: string }) => command.type)).toEqual([
      'script',
      'alert',
      'css',
    ]);
    expect(history).toEqual(['before say_hello', 'after say_hello']);
  });

  it('wraps an unknown name and passes it to the invalid-request hook', async () => {
    const res = await post(sijaxBody('missing')).expect(200);
    expect(res.body).toEqual([
      { type: 'script', script: 'before' },
      { type: 'alert', alert: 'no missing' },
      { type: 'css', selector: '#after', key: 'color', value: 'red' },
    ]);
    expect(history).toEqual(['before missing', 'invalid request missing', 'after missing']);
  });

  it('passes the function name to the invalid-call hook', async () => {
    await post(sijaxBody('say_hello', [1, 2, 3])).expect(200);
    expect(history).toEqual(['before say_hello', 'invalid call say_hello', 'after say_hello']);
  });

  it('still runs after-processing when the handler throws', async () => {
    const res = await post(sijaxBody('throws')).expect(500);
    expect(res.body.map((command: { type: string }) => command.type)).toEqual([
      'script',
      'error',
      'css',
    ]);
    expect(history).toEqual(['before throws', 'after throws']);
  });

  it('flushes each stage of a Comet call as its own chunk', async () => {
    const reader = new ChunkReader(`${baseUrl(app)}/sijax`, sijaxBody('tail'));
    await reader.done;
    expect(
      parseChunks(reader.text).map((batch) => batch.map((c) => (c as { type: string }).type)),
    ).toEqual([['script'], ['html'], ['html'], ['css']]);
  });
});

describe('Sijax events that stream (original test_streaming_functions_return_generators)', () => {
  let app: INestApplication;

  afterEach(() => app.close());

  it('before (1 command) + yielding handler + after (0 commands) give 3 chunks', async () => {
    app = await startApp([testAppModule({ events: { beforeProcessing: (r) => r.alert('b') } })]);
    const reader = new ChunkReader(`${baseUrl(app)}/sijax`, sijaxBody('tail'));
    await reader.done;
    expect(parseChunks(reader.text)).toHaveLength(3);
  });

  it('a generator before-hook flushes only non-empty steps: 4 chunks', async () => {
    function* before(response: SijaxResponse) {
      for (let i = 0; i < 10; i++) yield;
      response.alert('1');
      yield;
      response.alert('2');
      yield;
    }
    app = await startApp([
      testAppModule({
        events: { beforeProcessing: before, afterProcessing: (r) => r.alert('after') },
      }),
    ]);
    const reader = new ChunkReader(`${baseUrl(app)}/sijax`, sijaxBody('noYield'));
    await reader.done;
    expect(parseChunks(reader.text)).toEqual([
      [{ type: 'alert', alert: '1' }],
      [{ type: 'alert', alert: '2' }],
      [
        { type: 'alert', alert: 'one' },
        { type: 'alert', alert: 'two' },
      ],
      [{ type: 'alert', alert: 'after' }],
    ]);
  });
});
