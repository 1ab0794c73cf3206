import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import {
  DUPLICATE_FIELD,
  FAILURE_ALERT,
  BODY_UNREADABLE,
  INVALID_ARGS,
  NO_BOUNDARY,
  PLATFORM_BODY_TOO_LARGE,
  UNKNOWN_FUNCTION,
} from '../../lib/sijax.messages';
import {
  EchoHandlers,
  EchoProbe,
  exchange,
  multipartBody,
  naiveMerge,
  startRawApp,
} from '../fixtures/echo-handlers';
import { testAppModule } from '../fixtures/test-app.module';
import { baseUrl, parseChunks, sijaxBody } from '../utils/http-client';
import { captureLogs, PLATFORM, startApp, type CapturedLog } from '../utils/test-app';

const NOT_SIJAX = 'Not a Sijax request: POST the fields sijax_rq and sijax_args';
const INVALID_CALL = [
  { type: 'alert', alert: 'You tried to perform an action in a wrong way! (Sijax error)' },
];
const INVALID_REQUEST = [
  { type: 'alert', alert: 'The action you performed is unavailable! (Sijax error)' },
];
const UNSUPPORTED =
  'Sijax accepts application/x-www-form-urlencoded, multipart/form-data or application/json';
const MB = 1024 * 1024;
const FORM = 'application/x-www-form-urlencoded';

const notSijax = [{ type: 'error', error: NOT_SIJAX, status: 400, name: 'BadRequestException' }];
const tooLarge = (limit: number) => [
  {
    type: 'error',
    error: `Sijax request body is larger than ${limit} bytes`,
    status: 413,
    name: 'PayloadTooLargeException',
  },
];
const unsupported = [
  { type: 'error', error: UNSUPPORTED, status: 415, name: 'UnsupportedMediaTypeException' },
];

const handlers = { providers: [EchoProbe, EchoHandlers] };
/** Bytes of `text`, one per character: `\u00ff` becomes byte 0xFF, not valid UTF-8. */
const bad = (text: string) => Buffer.from(text, 'latin1');
const deep = (depth: number, open = '[', close = ']') => open.repeat(depth) + close.repeat(depth);

/** The one script chunk of a refusal, with the nonce of its own CSP. */
function refusedChunk(res: { status: number; headers: Record<string, unknown>; text: string }) {
  expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
  const csp = String(res.headers['content-security-policy']);
  const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
  expect(nonce).toBeTruthy();
  expect(res.text).toMatch(
    /^<script nonce="[^"]+">window\.parent\.Sijax\.processCommands\(\[.*\](,"[\w-]+")?\);<\/script>\n$/s,
  );
  expect(res.text).toContain(`<script nonce="${nonce}">`);
  return parseChunks(res.text);
}

/** A JSON answer of the module: status, JSON content type, and the commands. */
function json(res: { status: number; headers: Record<string, unknown>; text: string }) {
  expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
  return { status: res.status, body: JSON.parse(res.text) as unknown };
}

describe('Bad input gets a clear answer, never a 500 or a crash', () => {
  const logs = captureLogs();
  /** Body parsers on (Nest's default): urlencoded and JSON are parsed before the module. */
  let app: INestApplication;
  /** `bodyParser: false`: on Express the module reads every body itself; Fastify still parses JSON. */
  let raw: INestApplication;
  /** The module's own limit made small. */
  let small: INestApplication;
  let url: string;
  let rawUrl: string;
  let smallUrl: string;
  /** What reached `careless_echo`, in every app. */
  const reached = () => [app, raw, small].flatMap((target) => target.get(EchoProbe).carelessCalls);

  beforeAll(async () => {
    app = await startApp([testAppModule({}, handlers)], logs.logger);
    raw = await startRawApp([testAppModule({}, handlers)], logs.logger);
    small = await startRawApp([testAppModule({ bodyLimit: 4096 }, handlers)], logs.logger);
    url = `${baseUrl(app)}/sijax`;
    rawUrl = `${baseUrl(raw)}/sijax`;
    smallUrl = `${baseUrl(small)}/sijax`;
  });

  afterAll(async () => {
    await Promise.all([app?.close(), raw?.close(), small?.close()]);
    logs.restore();
  });

  beforeEach(() => {
    logs.logs.length = 0;
    for (const target of [app, raw, small]) target.get(EchoProbe).carelessCalls.length = 0;
  });

  afterEach(() => {
    // The library logs an error only with a 500; none of this input deserves one.
    expect(logs.logs.filter((log) => log.level === 'error' && log.context === 'Sijax')).toEqual([]);
  });

  /**
   * Apps that hand a urlencoded body to the module: parsed by the platform, or read by the module
   * itself. Fastify without its body parsers refuses urlencoded before any route runs (see
   * 'a body no platform parser takes').
   */
  const formApps = () => (PLATFORM === 'express' ? [app, raw] : [app]);
  /** Where a urlencoded body over 100 kB reaches the module: Express's parser stops at 100 kB. */
  const bigFormUrl = () => (PLATFORM === 'express' ? rawUrl : url);

  const form = (body: string, target = app) =>
    request(target.getHttpServer()).post('/sijax').type('form').send(body);
  const sijaxWarnings = (): CapturedLog[] =>
    logs.logs.filter((log) => log.level === 'warn' && log.context === 'Sijax');

  describe('a POST that is not a Sijax call', () => {
    it.each([
      ['no sijax_rq', 'sijax_args=%5B%5D'],
      ['no sijax_args', 'sijax_rq=careless_echo'],
      ['neither', 'other=1'],
      ['an empty form', ''],
    ])('answers 400 with a JSON error command: %s', async (_, body) => {
      for (const target of formApps()) {
        const res = await form(body, target).expect(400);
        expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(res.body).toEqual(notSijax);
      }
      expect(reached()).toEqual([]);
    });

    it.each([
      ['sijax_rq', 'sijax_rq=a&sijax_rq=b&sijax_args=%5B%5D'],
      ['sijax_args', 'sijax_rq=careless_echo&sijax_args=%5B1%5D&sijax_args=%5B2%5D'],
      ['sijax_call', 'sijax_rq=careless_echo&sijax_args=%5B1%5D&sijax_call=a&sijax_call=b'],
    ])('refuses %s sent twice in a form with 400, never passing either on', async (field, body) => {
      const duplicate = [
        { type: 'error', error: DUPLICATE_FIELD(field), status: 400, name: 'BadRequestException' },
      ];
      for (const target of formApps()) {
        await form(body, target).expect(400, duplicate);
      }
      expect(reached()).toEqual([]);
    });

    it('answers 400 to JSON and multipart bodies without the fields', async () => {
      for (const target of [app, raw]) {
        const server = target.getHttpServer();
        await request(server)
          .post('/sijax')
          .send({ sijax_rq: 'careless_echo' })
          .expect(400, notSijax);
        await request(server)
          .post('/sijax')
          .send({ sijax_args: [1] })
          .expect(400, notSijax);
        await request(server).post('/sijax').send([1, 2]).expect(400, notSijax);
        await request(server)
          .post('/sijax')
          .send({ sijax_rq: ['careless_echo'], sijax_args: '[1]' })
          .expect(400, notSijax);
        await request(server)
          .post('/sijax')
          .field('sijax_args', '[1]')
          .field('other', 'x')
          .expect(400, notSijax);
      }
      // A multipart body without a boundary cannot be read at all.
      const res = await exchange(url, {
        headers: { 'Content-Type': 'multipart/form-data' },
        body: 'x',
      });
      expect(json(res)).toEqual({
        status: 400,
        body: [{ type: 'error', error: NO_BOUNDARY, status: 400, name: 'BadRequestException' }],
      });
    });

    it('logs a refusal once, as a warning under the Sijax context', async () => {
      await form('sijax_rq=careless_echo').expect(400);
      expect(logs.logs).toEqual([
        expect.objectContaining({
          level: 'warn',
          context: 'Sijax',
          message: `Refused POST "/sijax": 400 ${NOT_SIJAX}`,
        }),
      ]);
    });
  });

  describe('another method', () => {
    it.each(['GET', 'PUT', 'DELETE', 'PATCH'])(
      'answers %s with 405, Allow: POST and a JSON error command',
      async (method) => {
        const res = await exchange(url, {
          method,
          headers: { 'Content-Type': FORM },
          body: sijaxBody('careless_echo', ['x']),
        });
        expect(res.headers.allow).toBe('POST');
        expect(json(res)).toEqual({
          status: 405,
          body: [
            {
              type: 'error',
              error: 'Sijax calls are POST requests',
              status: 405,
              name: 'MethodNotAllowedException',
            },
          ],
        });
        expect(reached()).toEqual([]);
      },
    );

    it('answers HEAD with 405 and Allow: POST', async () => {
      const res = await exchange(url, { method: 'HEAD' });
      expect(res.status).toBe(405);
      expect(res.headers.allow).toBe('POST');
    });
  });

  describe('multipart', () => {
    it("reads a browser's mixed-case boundary (boundaries are case-sensitive)", async () => {
      const { body, contentType } = multipartBody(
        { sijax_rq: 'careless_echo', sijax_args: '["from Chrome"]' },
        '----WebKitFormBoundary7MA4YWxkTrZu0gW',
      );
      for (const target of [url, rawUrl]) {
        const res = await exchange(target, { headers: { 'Content-Type': contentType }, body });
        expect(json(res)).toEqual({ status: 200, body: [{ type: 'echo', value: 'from Chrome' }] });
      }
    });

    it('reads a quoted boundary and skips file parts', async () => {
      const boundary = '----quoted-boundary-123';
      const body = Buffer.from(
        [
          `--${boundary}`,
          'Content-Disposition: form-data; name="sijax_args"; filename="a.txt"',
          'Content-Type: text/plain',
          '',
          '["from a file"]',
          `--${boundary}`,
          'Content-Disposition: form-data; name="sijax_rq"',
          '',
          'careless_echo',
          `--${boundary}`,
          'Content-Disposition: form-data; name="sijax_args"',
          '',
          '["from a field"]',
          `--${boundary}--`,
          '',
        ].join('\r\n'),
      );
      const res = await exchange(url, {
        headers: { 'Content-Type': `multipart/form-data; boundary="${boundary}"` },
        body,
      });
      expect(json(res)).toEqual({ status: 200, body: [{ type: 'echo', value: 'from a field' }] });
    });
  });

  describe('a body over the limit', () => {
    it('answers 413 to a multipart body over the default 1 MB, streamed without a length', async () => {
      const { body, contentType } = multipartBody({
        sijax_rq: 'careless_echo',
        sijax_args: JSON.stringify(['x'.repeat(MB)]),
      });
      const chunks: Buffer[] = [];
      for (let offset = 0; offset < body.length; offset += 64 * 1024) {
        chunks.push(body.subarray(offset, offset + 64 * 1024));
      }
      const res = await exchange(url, { headers: { 'Content-Type': contentType }, chunks });
      expect(json(res)).toEqual({ status: 413, body: tooLarge(MB) });
      expect(reached()).toEqual([]);
    });

    it('reads a multipart body just under the default 1 MB', async () => {
      const value = 'y'.repeat(MB - 1024);
      const { body, contentType } = multipartBody({
        sijax_rq: 'careless_echo',
        sijax_args: JSON.stringify([value]),
      });
      expect(body.length).toBeLessThan(MB);
      const res = await exchange(url, { headers: { 'Content-Type': contentType }, body });
      expect(json(res)).toEqual({ status: 200, body: [{ type: 'echo', value }] });
    });

    it('answers 413 to a declared Content-Length over the limit without waiting for the body', async () => {
      const { contentType } = multipartBody({});
      const res = await exchange(url, {
        headers: { 'Content-Type': contentType, 'Content-Length': 5 * MB },
        holdBody: true,
      });
      expect(json(res)).toEqual({ status: 413, body: tooLarge(MB) });
    });

    it('applies bodyLimit to a multipart body', async () => {
      const { body, contentType } = multipartBody({
        sijax_rq: 'careless_echo',
        sijax_args: JSON.stringify(['z'.repeat(5000)]),
      });
      const over = await exchange(smallUrl, { headers: { 'Content-Type': contentType }, body });
      expect(json(over)).toEqual({ status: 413, body: tooLarge(4096) });
      const under = multipartBody({ sijax_rq: 'careless_echo', sijax_args: '["z"]' });
      const res = await exchange(smallUrl, {
        headers: { 'Content-Type': under.contentType },
        body: under.body,
      });
      expect(json(res)).toEqual({ status: 200, body: [{ type: 'echo', value: 'z' }] });
    });

    // Express's parser stops at 100 kB in Nest; Fastify's at its bodyLimit, 1 MiB.
    const overPlatformLimit = () => (PLATFORM === 'express' ? 200 * 1024 : 2 * MB);
    const platformTooLarge = {
      type: 'error',
      error: PLATFORM_BODY_TOO_LARGE,
      status: 413,
      name: 'PayloadTooLargeException',
    };

    it("answers the platform's own 413 for a big urlencoded body in Sijax's format", async () => {
      const res = await exchange(url, {
        headers: { 'Content-Type': FORM },
        body: sijaxBody('careless_echo', ['w'.repeat(overPlatformLimit())]),
      });
      expect(json(res)).toEqual({ status: 413, body: [platformTooLarge] });
      expect(reached()).toEqual([]);
    });

    it("answers the platform's 413 to a form posted into an iframe with a script chunk", async () => {
      const res = await exchange(`${url}?sijax_call=c7`, {
        headers: { 'Content-Type': FORM, 'Sec-Fetch-Dest': 'iframe' },
        body: sijaxBody('comet_echo', ['w'.repeat(overPlatformLimit()), 1]),
      });
      expect(res.status).toBe(413);
      expect(refusedChunk(res)).toEqual([[platformTooLarge]]);
      expect(res.text).toContain(',"c7");</script>');
      expect(reached()).toEqual([]);
    });

    it("answers the platform's refusal of bad JSON in Sijax's format, never quoting the body", async () => {
      const res = await exchange(url, {
        headers: { 'Content-Type': 'application/json' },
        body: '{"sijax_rq": "careless_echo", "secret-token-123',
      });
      expect(json(res)).toEqual({
        status: 400,
        body: [{ type: 'error', error: BODY_UNREADABLE, status: 400, name: 'BadRequestException' }],
      });
      expect(res.text).not.toContain('secret-token');
      expect(logs.logs.map((log) => log.text).join('\n')).not.toContain('secret-token');
    });
  });

  describe('sijax_args that is not a JSON array', () => {
    it.each([
      ['not JSON', 'not json', 'sijax_args is not valid JSON'],
      ['truncated JSON', '["a"', 'sijax_args is not valid JSON'],
      ['empty', '', 'sijax_args is not valid JSON'],
      ['an object', '{"a":1}', 'sijax_args is not a JSON array'],
      ['a string', '"a"', 'sijax_args is not a JSON array'],
      ['a number', '1', 'sijax_args is not a JSON array'],
      ['null', 'null', 'sijax_args is not a JSON array'],
    ])('answers %s with the invalid-call event, logged once', async (_, args, reason) => {
      for (const target of formApps()) {
        logs.logs.length = 0;
        const body = new URLSearchParams({ sijax_rq: 'careless_echo', sijax_args: args });
        const res = await form(body.toString(), target).expect(200);
        expect(res.body).toEqual(INVALID_CALL);
        expect(logs.logs).toEqual([
          expect.objectContaining({
            level: 'warn',
            context: 'Sijax',
            message: INVALID_ARGS('careless_echo', reason),
          }),
        ]);
      }
      expect(reached()).toEqual([]);
    });

    it('answers the same way when sijax_args comes in a JSON body', async () => {
      for (const sijax_args of ['nope', { a: 1 }, 7, null, '{"a":1}']) {
        const res = await request(app.getHttpServer())
          .post('/sijax')
          .send({ sijax_rq: 'careless_echo', sijax_args })
          .expect(200);
        expect(res.body).toEqual(INVALID_CALL);
      }
      expect(sijaxWarnings()).toHaveLength(5);
      expect(reached()).toEqual([]);
    });
  });

  describe('a name that is not a registered function', () => {
    const names = [
      'constructor',
      '__proto__',
      'prototype',
      'toString',
      'hasOwnProperty',
      'valueOf',
      'isPrototypeOf',
      '__defineGetter__',
      'onModuleInit',
      'notRegistered',
      '',
      'careless_echo ',
      'a'.repeat(10_000),
    ];

    it.each(names.map((name) => [name.length > 40 ? `${name.slice(0, 10)}…` : name, name]))(
      'answers %j with the invalid-request event, over urlencoded, JSON and multipart',
      async (_, name) => {
        const urlencoded = await form(sijaxBody(name, ['x'])).expect(200);
        expect(urlencoded.body).toEqual(INVALID_REQUEST);
        const jsonBody = await request(app.getHttpServer())
          .post('/sijax')
          .send({ sijax_rq: name, sijax_args: ['x'] })
          .expect(200);
        expect(jsonBody.body).toEqual(INVALID_REQUEST);
        const rawJson = await request(raw.getHttpServer())
          .post('/sijax')
          .send({ sijax_rq: name, sijax_args: '["x"]' })
          .expect(200);
        expect(rawJson.body).toEqual(INVALID_REQUEST);
        const multipart = await request(app.getHttpServer())
          .post('/sijax')
          .field('sijax_rq', name)
          .field('sijax_args', '["x"]')
          .expect(200);
        expect(multipart.body).toEqual(INVALID_REQUEST);
        expect(sijaxWarnings().map((log) => log.message)).toEqual(
          Array(4).fill(UNKNOWN_FUNCTION(name)),
        );
      },
    );
  });

  describe('prototype keys inside the arguments', () => {
    const before = Object.getOwnPropertyNames(Object.prototype).sort();
    const probeKeys = ['polluted', 'viaConstructor', 'viaEscape'];

    afterEach(() => {
      // Never let one failure poison the tests after it.
      for (const key of probeKeys) delete (Object.prototype as Record<string, unknown>)[key];
    });

    it('(control) the fixture merge really is vulnerable, so these tests can fail', () => {
      naiveMerge({}, JSON.parse('{"__proto__":{"polluted":"yes"}}'));
      expect(({} as Record<string, unknown>).polluted).toBe('yes');
      naiveMerge({}, JSON.parse('{"constructor":{"prototype":{"viaConstructor":"yes"}}}'));
      expect(({} as Record<string, unknown>).viaConstructor).toBe('yes');
    });

    /** [label, sijax_args text, what the handler must get]. */
    const payloads: [string, string, unknown][] = [
      ['__proto__', '[{"__proto__":{"polluted":"yes"},"keep":1}]', { keep: 1 }],
      [
        'constructor.prototype',
        '[{"constructor":{"prototype":{"viaConstructor":"yes"}},"keep":2}]',
        { keep: 2 },
      ],
      [
        'nested and in arrays',
        '[{"a":{"__proto__":{"polluted":"yes"},"b":[{"prototype":{"polluted":"yes"},"c":3}]}}]',
        { a: { b: [{ c: 3 }] } },
      ],
      ['spaced keys', '[{"__proto__" \n :{"polluted":"yes"}, "constructor"\t:{}}]', {}],
      // Escaped, a key no longer reads "__proto__" in the text, yet JSON.parse makes it one.
      [
        '__proto__ written with \\u escapes',
        String.raw`[{"\u005f_proto__":{"viaEscape":"yes"},"keep":4}]`,
        { keep: 4 },
      ],
      [
        'constructor.prototype written with \\u escapes',
        String.raw`[{"\u0063onstructor":{"\u0070rototype":{"viaEscape":"yes"}},"keep":5}]`,
        { keep: 5 },
      ],
    ];

    type Send = (server: unknown) => PromiseLike<{ status: number; body: unknown }>;

    /**
     * Sends the call to each app: the handler must get `expected`, free of prototype keys, and
     * `Object.prototype` must stay as it was. Where the platform parses the JSON body itself,
     * Fastify refuses prototype keys outright with 400: a clear answer too.
     */
    async function expectClean(
      send: Send,
      expected: unknown,
      { targets = [app, raw], platformParsed = false } = {},
    ) {
      for (const target of targets) {
        const seen = target.get(EchoProbe).carelessCalls;
        seen.length = 0;
        const res = await send(target.getHttpServer());
        // One comparison, so a failure shows everything at once: answer, handler, prototype.
        const outcome = {
          status: res.status,
          body: res.body,
          handlerSawPrototypeKeys: seen.flatMap((call) => call.prototypeKeys),
          pollutedObjectPrototype: Object.getOwnPropertyNames(Object.prototype).filter(
            (key) => !before.includes(key),
          ),
        };
        if (platformParsed && PLATFORM === 'fastify' && res.status === 400) {
          // Fastify's JSON parser refuses prototype keys itself; the handler never ran.
          expect(seen).toEqual([]);
          expect(outcome.pollutedObjectPrototype).toEqual([]);
        } else {
          expect(outcome).toEqual({
            status: 200,
            body: [{ type: 'echo', value: expected }],
            handlerSawPrototypeKeys: [],
            pollutedObjectPrototype: [],
          });
          expect(seen).toHaveLength(1);
        }
        for (const key of probeKeys) {
          expect(({} as Record<string, unknown>)[key]).toBeUndefined();
        }
      }
    }

    const sendForm =
      (body: string): Send =>
      (server) =>
        request(server as never)
          .post('/sijax')
          .type('form')
          .send(body);
    const sendJson =
      (body: string): Send =>
      (server) =>
        request(server as never)
          .post('/sijax')
          .set('Content-Type', 'application/json')
          .send(body);

    describe.each(payloads)('%s', (_, args, expected) => {
      const fields = { sijax_rq: 'careless_echo', sijax_args: args };

      it('never reach the handler nor Object.prototype: urlencoded', async () => {
        await expectClean(sendForm(new URLSearchParams(fields).toString()), expected, {
          targets: formApps(),
        });
      });

      it('never reach the handler nor Object.prototype: JSON body, sijax_args as a string', async () => {
        await expectClean(sendJson(JSON.stringify(fields)), expected);
      });

      it('never reach the handler nor Object.prototype: JSON body, sijax_args as an array', async () => {
        await expectClean(sendJson(`{"sijax_rq":"careless_echo","sijax_args":${args}}`), expected, {
          platformParsed: true,
        });
      });

      it('never reach the handler nor Object.prototype: multipart', async () => {
        const { body, contentType } = multipartBody(fields);
        await expectClean(
          (server) =>
            request(server as never)
              .post('/sijax')
              .set('Content-Type', contentType)
              .send(body),
          expected,
        );
      });
    });

    it('never reach the handler nor Object.prototype: bracketed urlencoded fields', async () => {
      const body =
        'sijax_rq=careless_echo&sijax_args[0][constructor][prototype][viaConstructor]=yes' +
        '&sijax_args[0][__proto__][polluted]=yes&sijax_args[0][keep]=5&__proto__[polluted]=yes';
      if (PLATFORM === 'express') {
        // Express's extended (qs) parser reads the brackets into an array of objects: a form
        // field is text, so that is refused like a duplicate.
        await form(body).expect(400, [
          {
            type: 'error',
            error: DUPLICATE_FIELD('sijax_args'),
            status: 400,
            name: 'BadRequestException',
          },
        ]);
        expect(reached()).toEqual([]);
      } else {
        // Without a bracket-aware parser the call simply has no sijax_args field.
        await form(body).expect(400, notSijax);
        expect(reached()).toEqual([]);
      }
    });

    it('never reach the handler nor Object.prototype: top-level keys of a JSON body', async () => {
      const body =
        '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"viaConstructor":"yes"}},' +
        '"sijax_rq":"careless_echo","sijax_args":"[6]"}';
      await expectClean(sendJson(body), 6, { platformParsed: true });
    });

    it('cannot smuggle the Sijax fields in through __proto__', async () => {
      const body = '{"__proto__":{"sijax_rq":"careless_echo","sijax_args":"[1]"}}';
      for (const target of [app, raw]) {
        const res = await request(target.getHttpServer())
          .post('/sijax')
          .set('Content-Type', 'application/json')
          .send(body);
        expect(res.status).toBe(400);
        if (PLATFORM === 'express') expect(res.body).toEqual(notSijax);
      }
      await form('__proto__[sijax_rq]=careless_echo&__proto__[sijax_args]=%5B1%5D').expect(
        400,
        notSijax,
      );
      expect(reached()).toEqual([]);
    });
  });

  describe('deeply nested or huge sijax_args', () => {
    const depthWarning = INVALID_ARGS(
      'careless_echo',
      'sijax_args is nested deeper than 64 levels',
    );

    it('answers 100 000 levels of nesting with the invalid-call event (multipart and raw form)', async () => {
      for (const nesting of [
        deep(100_000),
        deep(100_000, '{"a":', '}'),
        deep(100_000, '[{"a":', '}]'),
      ]) {
        logs.logs.length = 0;
        const { body, contentType } = multipartBody({
          sijax_rq: 'careless_echo',
          sijax_args: nesting,
        });
        const viaMultipart = await exchange(url, {
          headers: { 'Content-Type': contentType },
          body,
        });
        expect(json(viaMultipart)).toEqual({ status: 200, body: INVALID_CALL });
        // Brackets, quotes and colons need no escaping in a form body: 100 000 levels fit in 1 MB.
        const viaForm = await exchange(bigFormUrl(), {
          headers: { 'Content-Type': FORM },
          body: `sijax_rq=careless_echo&sijax_args=${nesting}`,
        });
        expect(json(viaForm)).toEqual({ status: 200, body: INVALID_CALL });
        expect(sijaxWarnings().map((log) => log.message)).toEqual([depthWarning, depthWarning]);
      }
      expect(reached()).toEqual([]);
    });

    it('answers deep nesting sent as a JSON string within Express’s limit', async () => {
      const res = await request(app.getHttpServer())
        .post('/sijax')
        .send({ sijax_rq: 'careless_echo', sijax_args: deep(40_000) })
        .expect(200);
      expect(res.body).toEqual(INVALID_CALL);
    });

    it('answers a JSON body whose sijax_args array is nested 20 000 deep (invalid call, not 500)', async () => {
      const body = `{"sijax_rq":"careless_echo","sijax_args":${deep(20_000)}}`;
      const res = await exchange(url, { headers: { 'Content-Type': 'application/json' }, body });
      expect(json(res)).toEqual({ status: 200, body: INVALID_CALL });
      expect(reached()).toEqual([]);
    });

    it('answers a deeply nested JSON body in an app without body parsers', async () => {
      const body = `{"sijax_rq":"careless_echo","sijax_args":${deep(100_000)}}`;
      const res = await exchange(rawUrl, { headers: { 'Content-Type': 'application/json' }, body });
      // The module reads JSON itself at most 64 deep; Fastify parses JSON even then.
      const expected =
        PLATFORM === 'express'
          ? { status: 400, body: notSijax }
          : { status: 200, body: INVALID_CALL };
      expect(json(res)).toEqual(expected);
    });

    it('accepts nesting up to the limit', async () => {
      const value = JSON.parse(deep(63)) as unknown;
      await form(sijaxBody('careless_echo', [value])).expect(200, [{ type: 'echo', value }]);
    });

    it('answers huge arguments and stays responsive while it does', async () => {
      const numbers = `[${Array.from({ length: 150_000 }, (_, i) => i % 10).join(',')}]`;
      const bigString = JSON.stringify(['\u00e9'.repeat(400_000)]);
      const hostile = [
        multipartBody({ sijax_rq: 'careless_echo', sijax_args: numbers }),
        multipartBody({ sijax_rq: 'careless_echo', sijax_args: bigString }),
        multipartBody({ sijax_rq: 'careless_echo', sijax_args: deep(400_000) }),
      ].map(({ body, contentType }) =>
        exchange(url, { headers: { 'Content-Type': contentType }, body }),
      );
      const normal = Array.from({ length: 20 }, (_, i) =>
        exchange(url, { headers: { 'Content-Type': FORM }, body: sijaxBody('careless_echo', [i]) }),
      );
      const [tooMany, echoed, tooDeep] = await Promise.all(hostile);
      expect(json(tooMany)).toEqual({ status: 200, body: INVALID_CALL });
      expect(json(echoed)).toEqual({
        status: 200,
        body: [{ type: 'echo', value: '\u00e9'.repeat(400_000) }],
      });
      expect(json(tooDeep)).toEqual({ status: 200, body: INVALID_CALL });
      const answers = await Promise.all(normal);
      expect(answers.map((res) => json(res))).toEqual(
        answers.map((_, i) => ({ status: 200, body: [{ type: 'echo', value: i }] })),
      );
    });
  });

  describe('bytes that are not UTF-8', () => {
    it('answers a raw-read JSON body with byte 0xFF with 400', async () => {
      const body = bad('{"sijax_rq":"careless_echo","sijax_args":["a\u00ffb"]}');
      const res = await exchange(rawUrl, { headers: { 'Content-Type': 'application/json' }, body });
      expect(json(res).status).toBe(400);
    });

    it('answers a multipart body with invalid UTF-8 normally or with 400, never 500', async () => {
      for (const target of [url, rawUrl]) {
        const { body, contentType } = multipartBody({
          sijax_rq: 'careless_echo',
          sijax_args: Buffer.concat([
            Buffer.from('["a'),
            Buffer.from([0xff, 0xfe, 0xc3]),
            Buffer.from('b"]'),
          ]),
        });
        const res = await exchange(target, { headers: { 'Content-Type': contentType }, body });
        const answer = json(res);
        expect([200, 400]).toContain(answer.status);
        if (answer.status === 200) {
          expect(answer.body).toEqual([{ type: 'echo', value: expect.stringMatching(/^a.*b$/) }]);
        }
        // A name made of invalid bytes is simply not a registered name.
        const badName = multipartBody({ sijax_rq: Buffer.from([0xff, 0x80]), sijax_args: '[]' });
        const named = await exchange(target, {
          headers: { 'Content-Type': badName.contentType },
          body: badName.body,
        });
        expect(json(named).status).toBeLessThan(500);
      }
    });

    it('answers a parsed urlencoded body with byte 0xFF normally', async () => {
      const body = bad('sijax_rq=careless_echo&sijax_args=%5B%22a\u00ffb%22%5D');
      const res = await exchange(url, { headers: { 'Content-Type': FORM }, body });
      const answer = json(res);
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual([{ type: 'echo', value: expect.stringMatching(/^a.b$/) }]);
    });
  });

  /**
   * The module reads what no parser took, and answers a type it does not take in its own format.
   * (On Fastify these fail for now: Fastify answers a type it has no parser for with its own 415
   * before any route runs, and the module registers a pass-through parser for multipart only.)
   */
  describe('a body no platform parser takes', () => {
    const body = sijaxBody('careless_echo', ['x']);

    it('is read by the module, within bodyLimit, when the app has no urlencoded parser', async () => {
      const over = await exchange(smallUrl, {
        headers: { 'Content-Type': FORM },
        chunks: [Buffer.from(sijaxBody('careless_echo', ['z'.repeat(5000)]))],
      });
      expect(json(over)).toEqual({ status: 413, body: tooLarge(4096) });
      const declared = await exchange(smallUrl, {
        headers: { 'Content-Type': FORM },
        body: sijaxBody('careless_echo', ['z'.repeat(5000)]),
      });
      expect(json(declared)).toEqual({ status: 413, body: tooLarge(4096) });
      // Under the limit the module parses the same body itself.
      const under = await exchange(smallUrl, {
        headers: { 'Content-Type': FORM },
        body: sijaxBody('careless_echo', ['z'.repeat(3000)]),
      });
      expect(json(under)).toEqual({
        status: 200,
        body: [{ type: 'echo', value: 'z'.repeat(3000) }],
      });
      // The app keeps answering on the same path.
      await request(small.getHttpServer())
        .post('/sijax')
        .type('form')
        .send(sijaxBody('careless_echo', [1]))
        .expect(200, [{ type: 'echo', value: 1 }]);
    });

    it('answers a raw-read urlencoded body with byte 0xFF with 400', async () => {
      const body = bad('sijax_rq=careless_echo&sijax_args=%5B%22a\u00ffb%22%5D');
      expect(body.includes(0xff)).toBe(true);
      const res = await exchange(rawUrl, { headers: { 'Content-Type': FORM }, body });
      expect(json(res)).toEqual({
        status: 400,
        body: [
          {
            type: 'error',
            error: 'Sijax request body is not valid UTF-8',
            status: 400,
            name: 'BadRequestException',
          },
        ],
      });
    });

    it.each(['text/plain', 'application/xml', 'text/html; charset=utf-8', 'image/png'])(
      'answers %s with 415 and a JSON error command',
      async (type) => {
        for (const target of [url, rawUrl]) {
          // Fastify refuses types it has no parser for before any route runs; the module
          // answers that refusal in its own format too.
          const res = await exchange(target, { headers: { 'Content-Type': type }, body });
          expect(json(res)).toEqual({ status: 415, body: unsupported });
        }
        expect(reached()).toEqual([]);
      },
    );

    it('answers a body without a content type with 415', async () => {
      for (const target of [url, rawUrl]) {
        const res = await exchange(target, { body });
        expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(json(res)).toEqual({ status: 415, body: unsupported });
      }
    });

    it('answers an unknown type posted into an iframe with a script chunk', async () => {
      const res = await exchange(`${url}?sijax_call=c9`, {
        headers: { 'Content-Type': 'application/xml', 'Sec-Fetch-Dest': 'iframe' },
        body: '<call/>',
      });
      expect(res.status).toBe(415);
      expect(refusedChunk(res)).toEqual([unsupported]);
    });

    it('answers an empty body without a content type with 400', async () => {
      for (const target of [url, rawUrl]) {
        const res = await exchange(target, { body: '' });
        expect(json(res)).toEqual({ status: 400, body: notSijax });
      }
    });
  });

  describe('a form posted into an iframe that is refused', () => {
    const cases: [string, string, string, number, string, string][] = [
      ['not a Sijax call', FORM, 'x=1', 400, NOT_SIJAX, 'BadRequestException'],
      [
        'a wrong content type',
        'text/plain',
        'sijax_rq=a',
        415,
        UNSUPPORTED,
        'UnsupportedMediaTypeException',
      ],
    ];

    it.each(cases)('gets a script chunk for %s', async (_, type, body, status, error, name) => {
      // The bundled client repeats its call id in the URL: the refusal reaches that call.
      const res = await exchange(`${url}?sijax_call=c9`, {
        headers: { 'Content-Type': type, 'Sec-Fetch-Dest': 'iframe' },
        body,
      });
      expect(res.status).toBe(status);
      expect(refusedChunk(res)).toEqual([[{ type: 'error', error, status, name }]]);
      expect(res.text).toContain(',"c9");</script>');
      // The original client sends no call id and has no processor for `error`: an alert.
      const legacy = await exchange(url, {
        headers: { 'Content-Type': type, 'Sec-Fetch-Dest': 'iframe' },
        body,
      });
      expect(legacy.status).toBe(status);
      expect(refusedChunk(legacy)).toEqual([[{ type: 'alert', alert: FAILURE_ALERT(error) }]]);
    });

    it('gets a script chunk for a body over the limit', async () => {
      const { body, contentType } = multipartBody({
        sijax_rq: 'comet_echo',
        sijax_args: JSON.stringify(['q'.repeat(5000), 1]),
      });
      const res = await exchange(`${smallUrl}?sijax_call=c9`, {
        headers: { 'Content-Type': contentType, 'Sec-Fetch-Dest': 'iframe' },
        body,
      });
      expect(res.status).toBe(413);
      expect(refusedChunk(res)).toEqual([tooLarge(4096)]);
    });
  });
});
