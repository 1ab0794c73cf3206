import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { testAppModule } from '../fixtures/test-app.module';
import { STREAMING_NOT_SUPPORTED } from '../../lib/sijax.messages';
import { legacyBody, parseChunks, sijaxBody } from '../utils/http-client';
import { captureLogs, startApp } from '../utils/test-app';

describe('Regular Sijax calls: the wire protocol of Sijax 0.3', () => {
  let app: INestApplication;

  beforeAll(async () => {
    app = await startApp([testAppModule()]);
  });

  afterAll(() => app.close());

  const post = (body: string) =>
    request(app.getHttpServer()).post('/sijax').type('form').send(body);

  it('answers a JSON array of commands with the original field names', async () => {
    const res = await post(sijaxBody('everyCommand')).expect(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.body).toEqual([
      { type: 'alert', alert: 'hi' },
      { type: 'html', selector: '#x', html: '<b>x</b>', setType: 'replace' },
      { type: 'html', selector: '#x', html: 'a', setType: 'append' },
      { type: 'html', selector: '#x', html: 'p', setType: 'prepend' },
      { type: 'attr', selector: '#x', key: 'title', value: 't', setType: 'replace' },
      { type: 'attr', selector: '#x', key: 'title', value: 'a', setType: 'append' },
      { type: 'attr', selector: '#x', key: 'title', value: 'p', setType: 'prepend' },
      { type: 'css', selector: '#x', key: 'color', value: 'red' },
      { type: 'script', script: 'alert(1)' },
      { type: 'remove', remove: '.r' },
      { type: 'script', script: 'window.location = "http://ex.com/";' },
      { type: 'call', call: 'foo', params: [1, 'x'] },
    ]);
  });

  it('passes the browser arguments after the response', async () => {
    const res = await post(sijaxBody('say_hello', ['Ann'])).expect(200);
    expect(res.body).toEqual([{ type: 'alert', alert: 'Hello Ann' }]);
  });

  it('sends custom command types from addCommand', async () => {
    const res = await post(sijaxBody('echo', [{ nested: [1, 'two'] }])).expect(200);
    expect(res.body).toEqual([{ type: 'echo', value: { nested: [1, 'two'] } }]);
  });

  it('drops cleared commands', async () => {
    const res = await post(sijaxBody('cleared')).expect(200);
    expect(res.body).toEqual([{ type: 'alert', alert: 'kept' }]);
  });

  it('answers a call of the original client (no sijax_call) only with commands it knows', async () => {
    // No `return` command: the original has no processor for it and would throw.
    expect((await post(legacyBody('answer')).expect(200)).body).toEqual([]);
    // A failure as an alert, with status 200: the original runs commands only from a 200.
    expect((await post(legacyBody('throws')).expect(200)).body).toEqual([
      { type: 'alert', alert: 'Internal server error (Sijax error)' },
    ]);
  });

  it('sends a non-undefined return value as a final return command', async () => {
    const res = await post(sijaxBody('answer')).expect(200);
    expect(res.body).toEqual([{ type: 'return', value: { answer: 42 } }]);
  });

  it('accepts defaults and rest parameters', async () => {
    expect((await post(sijaxBody('withDefaults', [1])).expect(200)).body).toEqual([
      { type: 'script', script: 'sum(3)' },
    ]);
    expect((await post(sijaxBody('withDefaults', [1, 5])).expect(200)).body).toEqual([
      { type: 'script', script: 'sum(6)' },
    ]);
    expect((await post(sijaxBody('variadic', [1, 2, 3, 4])).expect(200)).body).toEqual([
      { type: 'alert', alert: '4' },
    ]);
  });

  it('accepts the fields as JSON and as multipart', async () => {
    const json = await request(app.getHttpServer())
      .post('/sijax')
      .send({ sijax_rq: 'say_hello', sijax_args: '["Jo"]' })
      .expect(200);
    expect(json.body).toEqual([{ type: 'alert', alert: 'Hello Jo' }]);
    const jsonArray = await request(app.getHttpServer())
      .post('/sijax')
      .send({ sijax_rq: 'say_hello', sijax_args: ['Al'] })
      .expect(200);
    expect(jsonArray.body).toEqual([{ type: 'alert', alert: 'Hello Al' }]);
    const multipart = await request(app.getHttpServer())
      .post('/sijax')
      .field('sijax_rq', 'say_hello')
      .field('sijax_args', '["Ünï"]')
      .attach('ignored', Buffer.from('file body'), 'file.txt')
      .expect(200);
    expect(multipart.body).toEqual([{ type: 'alert', alert: 'Hello Ünï' }]);
  });

  it('answers an unknown name with the invalid-request alert, status 200', async () => {
    for (const name of [
      'nope',
      'constructor',
      '__proto__',
      'toString',
      '_private',
      'notRegistered',
    ]) {
      const res = await post(sijaxBody(name)).expect(200);
      expect(res.body).toEqual([
        { type: 'alert', alert: 'The action you performed is unavailable! (Sijax error)' },
      ]);
    }
  });

  it('answers wrong arguments with the invalid-call alert', async () => {
    const invalid = [
      { type: 'alert', alert: 'You tried to perform an action in a wrong way! (Sijax error)' },
    ];
    expect((await post(sijaxBody('say_hello', [])).expect(200)).body).toEqual(invalid);
    expect((await post(sijaxBody('say_hello', ['a', 'b'])).expect(200)).body).toEqual(invalid);
    const badJson = new URLSearchParams({ sijax_rq: 'say_hello', sijax_args: '{"a":1}' });
    expect((await post(badJson.toString()).expect(200)).body).toEqual(invalid);
  });

  it('turns a throwing handler into a 500 error command without leaking its message', async () => {
    const res = await post(sijaxBody('throws')).expect(500);
    expect(res.body).toEqual([
      { type: 'error', error: 'Internal server error', status: 500, name: 'InternalServerError' },
    ]);
    // The app keeps serving.
    await post(sijaxBody('say_hello', ['again'])).expect(200);
  });

  it('refuses a POST that is not a Sijax request with 400', async () => {
    const res = await post('sijax_rq=only').expect(400);
    expect(res.body).toEqual([
      {
        type: 'error',
        error: 'Not a Sijax request: POST the fields sijax_rq and sijax_args',
        status: 400,
        name: 'BadRequestException',
      },
    ]);
  });

  it('answers other methods with 405 and Allow: POST', async () => {
    const res = await request(app.getHttpServer()).put('/sijax').expect(405);
    expect(res.headers.allow).toBe('POST');
    await request(app.getHttpServer()).get('/sijax').expect(405);
  });

  it('answers an unknown name posted into an iframe with a script chunk', async () => {
    const res = await post(sijaxBody('nope')).set('Sec-Fetch-Dest', 'iframe').expect(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(parseChunks(res.text)).toEqual([
      [{ type: 'alert', alert: 'The action you performed is unavailable! (Sijax error)' }],
    ]);
  });

  it('answers a refused iframe post with a script chunk', async () => {
    const res = await request(app.getHttpServer())
      .post('/sijax?sijax_call=c2')
      .type('form')
      .send('x=1')
      .set('Sec-Fetch-Dest', 'iframe')
      .expect(400);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(parseChunks(res.text)).toEqual([
      [
        {
          type: 'error',
          error: 'Not a Sijax request: POST the fields sijax_rq and sijax_args',
          status: 400,
          name: 'BadRequestException',
        },
      ],
    ]);
  });

  it('rejects a regular function that yields, at call time', async () => {
    const logs = captureLogs();
    try {
      // A plain method returning a generator: discovery cannot tell, the call must refuse it.
      const res = await post(sijaxBody('sneakyGenerator')).expect(500);
      expect(res.body).toEqual([
        { type: 'error', error: 'Internal server error', status: 500, name: 'InternalServerError' },
      ]);
      expect(logs.logs.filter((log) => log.level === 'error')).toHaveLength(1);
      expect(logs.logs[0].text).toContain(STREAMING_NOT_SUPPORTED);
      expect(logs.logs[0].message).toBe('Sijax function "sneakyGenerator" failed');
      expect(logs.logs[0].context).toBe('Sijax');
    } finally {
      logs.restore();
    }
  });
});

describe('The bundled client', () => {
  let app: INestApplication;

  beforeAll(async () => {
    app = await startApp([testAppModule({ path: '/rpc' })]);
  });

  afterAll(() => app.close());

  it('is served at {path}/sijax.js, cacheable with an ETag', async () => {
    const res = await request(app.getHttpServer()).get('/rpc/sijax.js').expect(200);
    expect(res.headers['content-type']).toBe('application/javascript; charset=utf-8');
    expect(res.headers['cache-control']).toBe('public, no-cache');
    expect(res.text).toContain('sijax_rq');
    const etag = res.headers.etag;
    expect(etag).toMatch(/^".+"$/);
    await request(app.getHttpServer()).get('/rpc/sijax.js').set('If-None-Match', etag).expect(304);
  });

  it('takes calls at the configured path only', async () => {
    await request(app.getHttpServer())
      .post('/rpc')
      .type('form')
      .send(sijaxBody('say_hello', ['p']))
      .expect(200);
    await request(app.getHttpServer())
      .post('/sijax')
      .type('form')
      .send(sijaxBody('say_hello', ['p']))
      .expect(404);
  });
});

describe('Refusals before dispatch reach the calling iframe', () => {
  let app: INestApplication;

  beforeAll(async () => {
    app = await startApp([testAppModule()]);
  });

  afterAll(() => app.close());

  it('carry the client call id, so the call itself rejects', async () => {
    const res = await request(app.getHttpServer())
      .post('/sijax')
      .type('form')
      .set('Sec-Fetch-Dest', 'iframe')
      .set('Sec-Fetch-Site', 'cross-site')
      .send(sijaxBody('run', [1], { sijax_call: 'c9_z' }))
      .expect(403);
    expect(res.text).toMatch(/processCommands\(\[\{"type":"error".*\],"c9_z"\);<\/script>/);
    expect(parseChunks(res.text)).toEqual([
      [
        {
          type: 'error',
          error: 'Cross-site Sijax call refused',
          status: 403,
          name: 'ForbiddenException',
        },
      ],
    ]);
  });
});
