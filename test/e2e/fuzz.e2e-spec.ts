import type { INestApplication, LoggerService, ModuleMetadata } from '@nestjs/common';
import fc from 'fast-check';
import { runInThisContext } from 'vm';
import {
  EchoHandlers,
  EchoProbe,
  exchange,
  multipartBody,
  startRawApp,
  type RawResponse,
} from '../fixtures/echo-handlers';
import { testAppModule } from '../fixtures/test-app.module';
import { baseUrl, parseChunks } from '../utils/http-client';
import { startApp } from '../utils/test-app';

const RUNS = 300;

/**
 * Node's own process object. Jest's sandbox `process` is a copy whose events Node never emits:
 * listeners must go on the real one to hear an unhandled rejection or an uncaught exception.
 */
const nodeProcess = runInThisContext('process') as NodeJS.Process;

/**
 * Registered functions that take any arguments without throwing and end quickly. Left out on
 * purpose: handlers that fail by design (`throws`, `sneakyGenerator`, `failAfter`: a 500 there
 * is correct), that wait on test latches (`run`) or loop as long as an argument says
 * (`countSync`, `count_down`), and fixtures that trust their argument types (`say_hello`,
 * `withDefaults`, `asyncFunction` throw a TypeError on hostile values: a handler bug, which
 * the library rightly answers with 500).
 */
const ROBUST_NAMES = [
  'careless_echo',
  'comet_echo',
  'echo',
  'everyCommand',
  'cleared',
  'answer',
  'variadic',
  'noYield',
  'tail',
  'observable',
  'callThenScript',
  'inject',
];
const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'];
const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype'];
/** The same keys as a JSON text may also spell them. */
const ESCAPED_PROTOTYPE_KEYS = [
  '\\u005f_proto__',
  '\\u005F\\u005Fproto\\u005F\\u005F',
  '\\u0063onstructor',
  '\\u0070rototype',
];
const METHODS = ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'];
const CONTENT_TYPES = [
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=utf-8',
  'application/json',
  'application/json; charset=utf-8',
  'multipart/form-data',
  'multipart/form-data; boundary=x',
  'text/plain',
  'text/html',
  'application/xml',
  'application/octet-stream',
  'application/json; charset=latin1',
  'application/x-www-form-urlencoded; charset=utf-16',
];

/** A header-safe token. */
const token = fc.stringMatching(/^[\w.~:/-]{0,24}$/);

/** JSON text of a value with a prototype key somewhere inside, as a hostile client writes it. */
const prototypeJson = fc
  .tuple(
    fc.oneof(fc.constantFrom(...PROTOTYPE_KEYS), fc.constantFrom(...ESCAPED_PROTOTYPE_KEYS)),
    fc.jsonValue({ maxDepth: 2 }),
    fc.oneof(
      { arbitrary: fc.constant('[{K}]'), weight: 3 },
      {
        arbitrary: fc.constantFrom('[{"a":{K}}]', '[[{K}],{K}]', '{K}', '[{"constructor":{K}}]'),
        weight: 2,
      },
    ),
  )
  .map(([key, value, shape]) =>
    shape.replaceAll('{K}', `{"${key}":{"polluted":${JSON.stringify(value) ?? 'null'}}}`),
  );

/** Bracket nesting, from shallow to far past the limit (and past a recursive walker's stack). */
const nested = fc
  .tuple(
    fc.oneof(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 5_000, max: 20_000 })),
    fc.constantFrom(['[', ']'], ['{"a":', '}'], ['[{"b":', '}]']),
  )
  .map(([depth, [open, close]]) => open.repeat(depth) + close.repeat(depth));

const argsText = fc.oneof(
  {
    arbitrary: fc
      .array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 4 })
      .map((args) => JSON.stringify(args)),
    weight: 3,
  },
  {
    arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value) ?? ''),
    weight: 1,
  },
  { arbitrary: prototypeJson, weight: 4 },
  { arbitrary: nested, weight: 2 },
  { arbitrary: fc.string({ maxLength: 40 }), weight: 1 },
);

const name = fc.oneof(
  // The handler that merges its argument carelessly is where a prototype key would do harm.
  { arbitrary: fc.constant('careless_echo'), weight: 4 },
  { arbitrary: fc.constantFrom(...ROBUST_NAMES), weight: 4 },
  { arbitrary: fc.constantFrom(...PROTOTYPE_NAMES), weight: 1 },
  { arbitrary: fc.string({ maxLength: 20 }), weight: 1 },
);

/** Fields of a call, sometimes missing one, with extra and prototype-looking fields. */
const callFields = {
  sijax_rq: name,
  sijax_args: argsText,
  sijax_call: fc.oneof(token, fc.string({ maxLength: 80 })),
  sijax_csrf: token,
};

const fields = fc
  .oneof(
    { arbitrary: fc.record(callFields, { requiredKeys: ['sijax_rq', 'sijax_args'] }), weight: 4 },
    { arbitrary: fc.record(callFields, { requiredKeys: [] }), weight: 1 },
  )
  .chain((base) =>
    fc
      .array(
        fc.tuple(
          fc.oneof(
            fc.constantFrom(
              '__proto__[polluted]',
              'constructor[prototype][polluted]',
              'sijax_args[0][__proto__][polluted]',
              'sijax_args[]',
              'sijax_rq',
              '__proto__',
            ),
            fc.string({ maxLength: 10 }),
          ),
          fc.string({ maxLength: 20 }),
        ),
        { maxLength: 3 },
      )
      .map((extra) => ({ base, extra })),
  );

interface FuzzRequest {
  method: string;
  headers: Record<string, string>;
  body: Buffer;
  /** What the body was built as, for the report. */
  kind: string;
}

type Body = { kind: string; body: Buffer; contentType?: string };

const urlencodedBody: fc.Arbitrary<Body> = fields.map(({ base, extra }) => {
  const params = new URLSearchParams(base);
  for (const [key, value] of extra) params.append(key, value);
  return {
    kind: 'urlencoded',
    body: Buffer.from(params.toString()),
    contentType: 'application/x-www-form-urlencoded',
  };
});

/** A JSON object with the fields; sijax_args as the string the client sends, or as JSON itself. */
const jsonBody: fc.Arbitrary<Body> = fc.tuple(fields, fc.boolean()).map(([{ base }, inline]) => {
  const members = Object.entries(base)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => {
      if (key === 'sijax_args' && inline) {
        try {
          JSON.parse(value);
          return `"${key}":${value}`;
        } catch {
          // Not JSON: sent as a string after all.
        }
      }
      return `${JSON.stringify(key)}:${JSON.stringify(value)}`;
    });
  return {
    kind: inline ? 'json (inline args)' : 'json',
    body: Buffer.from(`{${members.join(',')}}`),
    contentType: 'application/json',
  };
});

const multipart: fc.Arbitrary<Body> = fc
  .tuple(fields, fc.stringMatching(/^[\w'()+,./:=?-]{1,40}$/))
  .map(([{ base, extra }, boundary]) => {
    const entries: Record<string, string> = {};
    for (const [key, value] of Object.entries(base)) {
      if (value !== undefined) entries[key] = value;
    }
    for (const [key, value] of extra) entries[key.replace(/["\r\n]/g, '')] = value;
    const { body, contentType } = multipartBody(entries, boundary);
    return { kind: 'multipart', body, contentType };
  });

const body: fc.Arbitrary<Body> = fc.oneof(
  { arbitrary: urlencodedBody, weight: 3 },
  { arbitrary: jsonBody, weight: 3 },
  { arbitrary: multipart, weight: 2 },
  {
    arbitrary: fc.jsonValue({ maxDepth: 4 }).map((value) => ({
      kind: 'random json',
      body: Buffer.from(JSON.stringify(value) ?? ''),
      contentType: 'application/json',
    })),
    weight: 1,
  },
  {
    arbitrary: fc
      .uint8Array({ maxLength: 600 })
      .map((bytes) => ({ kind: 'bytes', body: Buffer.from(bytes) })),
    weight: 1,
  },
  {
    arbitrary: fc
      .string({ maxLength: 200, unit: 'binary' })
      .map((text) => ({ kind: 'text', body: Buffer.from(text) })),
    weight: 1,
  },
);

/** A header that is absent two times in three. */
const sometimes = (value: fc.Arbitrary<string>) =>
  fc.oneof({ arbitrary: fc.constant(undefined), weight: 2 }, { arbitrary: value, weight: 1 });

const request: fc.Arbitrary<FuzzRequest> = fc
  .record({
    method: fc.oneof(
      { arbitrary: fc.constant('POST'), weight: 6 },
      { arbitrary: fc.constantFrom(...METHODS), weight: 1 },
    ),
    body,
    contentType: fc.oneof(
      { arbitrary: fc.constant('matching'), weight: 12 },
      { arbitrary: fc.constantFrom(...CONTENT_TYPES), weight: 2 },
      { arbitrary: fc.stringMatching(/^[\x20-\x7e]{0,40}$/), weight: 1 },
      { arbitrary: fc.constant('none'), weight: 1 },
    ),
    dest: sometimes(fc.oneof(fc.constantFrom('iframe', 'empty', 'document'), token)),
    site: sometimes(
      fc.oneof(
        { arbitrary: fc.constantFrom('same-origin', 'none'), weight: 2 },
        { arbitrary: fc.constantFrom('cross-site', 'same-site'), weight: 1 },
        { arbitrary: token, weight: 1 },
      ),
    ),
    origin: sometimes(
      fc.oneof(
        { arbitrary: fc.constant('SELF'), weight: 2 },
        { arbitrary: fc.constantFrom('http://evil.test', 'null'), weight: 1 },
        { arbitrary: token, weight: 1 },
      ),
    ),
  })
  .map(({ method, body, contentType, dest, site, origin }) => {
    const headers: Record<string, string> = {};
    const type = contentType === 'matching' ? body.contentType : contentType;
    if (type !== undefined && type !== 'none') headers['Content-Type'] = type;
    if (dest !== undefined) headers['Sec-Fetch-Dest'] = dest;
    if (site !== undefined) headers['Sec-Fetch-Site'] = site;
    if (origin !== undefined) headers.Origin = origin;
    return {
      method,
      headers,
      body: body.body,
      kind: body.kind,
      // How fast-check shows a counterexample: readable, not a list of bytes.
      [fc.toStringMethod]: () =>
        `${method} ${JSON.stringify(headers)} ${body.kind} body (${body.body.length} bytes): ` +
        JSON.stringify(body.body.toString('latin1').slice(0, 400)),
    };
  });

/** Asserts that one answer is clear: below 500, and JSON or HTML the client can read. */
function checkAnswer(req: FuzzRequest, res: RawResponse): void {
  const what = `${req.method} ${req.kind} ${JSON.stringify(req.headers)} -> ${res.status} ${res.text.slice(0, 300)}`;
  if (res.status >= 500 || ![200, 400, 403, 404, 405, 413, 415].includes(res.status)) {
    throw new Error(`unclear status: ${what}`);
  }
  if (res.status === 404 && req.method !== 'OPTIONS') throw new Error(`404: ${what}`);
  if (req.method === 'HEAD') return;
  const type = String(res.headers['content-type'] ?? '');
  if (type.startsWith('application/json')) {
    const answer = JSON.parse(res.text) as unknown;
    if (Array.isArray(answer)) {
      // The module's answer: a list of commands, and a refusal names its own status.
      for (const command of answer) {
        if (typeof (command as { type?: unknown })?.type !== 'string') {
          throw new Error(`not a command list: ${what}`);
        }
      }
      if (res.status !== 200 && (answer as { status?: number }[])[0]?.status !== res.status) {
        throw new Error(`error command does not match the status: ${what}`);
      }
    } else if (
      (answer as { statusCode?: unknown })?.statusCode !== res.status ||
      res.status < 400
    ) {
      // The platform's own parser refused the body before the route ran.
      throw new Error(`unexpected JSON: ${what}`);
    }
    return;
  }
  if (type.startsWith('text/html')) {
    // A Comet stream or a refusal posted into an iframe: script chunks only.
    const batches = parseChunks(res.text);
    const scripts = res.text.match(/<script/g)?.length ?? 0;
    const padding = res.text.startsWith('\n<script') ? 1 : 0;
    if (batches.length === 0 || batches.length + padding !== scripts) {
      throw new Error(`HTML that is not script chunks: ${what}`);
    }
    for (const batch of batches) {
      for (const command of batch) {
        if (typeof (command as { type?: unknown })?.type !== 'string') {
          throw new Error(`not a command chunk: ${what}`);
        }
      }
    }
    return;
  }
  throw new Error(`unexpected content type "${type}": ${what}`);
}

const variants: [
  string,
  (imports: ModuleMetadata['imports'], logger: LoggerService | false) => Promise<INestApplication>,
][] = [
  ['with body parsers', startApp],
  ['without body parsers', startRawApp],
];

describe.each(variants)('Fuzz: random requests at /sijax, app %s', (_, start) => {
  let app: INestApplication;
  let url: string;
  const failures: unknown[] = [];
  const onFailure = (error: unknown) => failures.push(error);
  const baseline = Object.getOwnPropertyNames(Object.prototype).sort();

  beforeAll(async () => {
    app = await start([testAppModule({}, { providers: [EchoProbe, EchoHandlers] })], false);
    url = `${baseUrl(app)}/sijax`;
    nodeProcess.on('unhandledRejection', onFailure);
    nodeProcess.on('uncaughtException', onFailure);
  });

  afterAll(async () => {
    nodeProcess.off('unhandledRejection', onFailure);
    nodeProcess.off('uncaughtException', onFailure);
    await app?.close();
  });

  const baselineStatics = Object.getOwnPropertyNames(Object);

  /**
   * Keys added since the start to `Object.prototype` (via `__proto__`, `constructor.prototype`)
   * or to `Object` itself (via `constructor`), removed again at once: a leftover would break the
   * runs after it and hide which one did the harm.
   */
  function pollution(): string[] {
    const added = [
      ...Object.getOwnPropertyNames(Object.prototype)
        .filter((key) => !baseline.includes(key))
        .map((key) => `Object.prototype.${key}`),
      ...Object.getOwnPropertyNames(Object)
        .filter((key) => !baselineStatics.includes(key))
        .map((key) => `Object.${key}`),
    ];
    for (const key of added) {
      const [owner, name] = key.startsWith('Object.prototype.')
        ? [Object.prototype, key.slice('Object.prototype.'.length)]
        : [Object, key.slice('Object.'.length)];
      delete (owner as unknown as Record<string, unknown>)[name];
    }
    return added;
  }

  it('(control) listens on the process object Node emits on', () => {
    // A real unhandled rejection would also fail this test through jest's own listener, so the
    // control checks where the listeners are, not that one fires.
    expect(nodeProcess).not.toBe(process);
    expect(nodeProcess.listeners('unhandledRejection')).toContain(onFailure);
    expect(nodeProcess.listeners('uncaughtException')).toContain(onFailure);
  });

  it(`answers ${RUNS} random requests clearly, without crashing or polluting Object.prototype`, async () => {
    const self = baseUrl(app);
    await fc.assert(
      fc.asyncProperty(request, async (req) => {
        const headers = { ...req.headers };
        if (headers.Origin === 'SELF') headers.Origin = self;
        let res: RawResponse;
        let added: string[];
        try {
          res = await exchange(url, { method: req.method, headers, body: req.body });
        } finally {
          // Clean up before anything can throw, so each run starts from a clean slate.
          added = pollution();
        }
        const leaked = app
          .get(EchoProbe)
          .carelessCalls.splice(0)
          .flatMap((call) => call.prototypeKeys);
        const unhandled = failures.splice(0);
        if (added.length) throw new Error(`polluted ${added.join(', ')}`);
        if (leaked.length) throw new Error(`the handler got prototype keys: ${leaked.join(', ')}`);
        if (unhandled.length) throw new Error(`unhandled: ${unhandled.map(String).join('; ')}`);
        checkAnswer({ ...req, headers }, res);
      }),
      { numRuns: RUNS },
    );
    expect(failures).toEqual([]);
    expect(pollution()).toEqual([]);
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(baseline);
    expect(Object.getOwnPropertyNames(Object)).toEqual(baselineStatics);
    // Still serving normal calls, regular and Comet (JSON: every app and platform reads it).
    const call = (rq: string, args: unknown[]) =>
      exchange(url, {
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ sijax_rq: rq, sijax_args: JSON.stringify(args) }),
      });
    const regular = await call('careless_echo', ['still here']);
    expect(JSON.parse(regular.text)).toEqual([{ type: 'echo', value: 'still here' }]);
    const comet = await call('comet_echo', ['still streaming', 2]);
    expect(parseChunks(comet.text)).toEqual([
      [{ type: 'echo', value: 'still streaming', step: 0 }],
      [{ type: 'echo', value: 'still streaming', step: 1 }],
      [{ type: 'echo', value: 'still streaming', step: 'done' }],
    ]);
  }, 60_000);
});
