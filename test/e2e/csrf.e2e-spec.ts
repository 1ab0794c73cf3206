import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import type { SijaxModuleOptions } from '../../lib';
import { CROSS_SITE_REFUSED, CSRF_TOKEN_INVALID } from '../../lib/sijax.messages';
import { EchoHandlers, EchoProbe } from '../fixtures/echo-handlers';
import { testAppModule } from '../fixtures/test-app.module';
import { baseUrl, parseChunks, sijaxBody } from '../utils/http-client';
import { Test } from '@nestjs/testing';
import { createTestApp, startApp } from '../utils/test-app';

const crossSite = [
  { type: 'error', error: CROSS_SITE_REFUSED, status: 403, name: 'ForbiddenException' },
];
const badToken = [
  { type: 'error', error: CSRF_TOKEN_INVALID, status: 403, name: 'ForbiddenException' },
];
const echoed = (value: unknown) => [{ type: 'echo', value }];

async function startWith(options: SijaxModuleOptions): Promise<INestApplication> {
  return startApp([testAppModule(options, { providers: [EchoProbe, EchoHandlers] })]);
}

/** A call of `careless_echo` with `value`, with the given headers. */
function call(app: INestApplication, value: unknown, headers: Record<string, string> = {}) {
  return request(app.getHttpServer())
    .post('/sijax')
    .set(headers)
    .type('form')
    .send(sijaxBody('careless_echo', [value]));
}

const calls = (app: INestApplication) => app.get(EchoProbe).carelessCalls.length;

describe('CSRF: cross-site calls are refused by default', () => {
  let app: INestApplication;
  let self: string;

  beforeAll(async () => {
    app = await startWith({});
    self = baseUrl(app);
  });

  afterAll(() => app.close());

  it.each([
    ['Sec-Fetch-Site: cross-site', { 'Sec-Fetch-Site': 'cross-site' }],
    [
      'Sec-Fetch-Site: same-site (a sibling subdomain is another origin)',
      { 'Sec-Fetch-Site': 'same-site' },
    ],
    ['cross-site even with a same-host Origin', { 'Sec-Fetch-Site': 'cross-site', Origin: 'SELF' }],
    ['an Origin of another host', { Origin: 'http://evil.test' }],
    ['an Origin of the same host name on another port', { Origin: 'http://127.0.0.1:1' }],
    ['Origin: null (a sandboxed or file: page)', { Origin: 'null' }],
    ['an Origin that is not a URL', { Origin: 'not a url' }],
    ['a Referer from another host', { Referer: 'http://evil.test/page' }],
  ])('refuses %s with 403, and the handler never runs', async (_, headers) => {
    const before = calls(app);
    const resolved = Object.fromEntries(
      Object.entries(headers).map(([key, value]) => [key, value === 'SELF' ? self : value]),
    );
    const res = await call(app, 1, resolved).expect(403);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.body).toEqual(crossSite);
    expect(calls(app)).toBe(before);
  });

  it.each([
    ['Sec-Fetch-Site: same-origin', () => ({ 'Sec-Fetch-Site': 'same-origin' })],
    ['Sec-Fetch-Site: none (typed in, bookmarks)', () => ({ 'Sec-Fetch-Site': 'none' })],
    ['a same-host Origin', (s: string) => ({ Origin: s })],
    ['a same-host Referer', (s: string) => ({ Referer: `${s}/page?x=1` })],
    [
      'same-origin with a same-host Origin',
      (s: string) => ({ 'Sec-Fetch-Site': 'same-origin', Origin: s }),
    ],
    ['no browser headers at all (not a browser)', () => ({})],
  ])('lets %s through', async (_, headers) => {
    const res = await call(app, 'ok', headers(self)).expect(200);
    expect(res.body).toEqual(echoed('ok'));
  });

  it('refuses a cross-site form posted into an iframe with a script chunk', async () => {
    const res = await call(app, 1, { 'Sec-Fetch-Site': 'cross-site', 'Sec-Fetch-Dest': 'iframe' });
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(parseChunks(res.text)).toEqual([crossSite]);
  });

  it('refuses a cross-site Comet call before its handler starts', async () => {
    const before = app.get(EchoProbe).cometCalls;
    const res = await request(app.getHttpServer())
      .post('/sijax')
      .set({ 'Sec-Fetch-Site': 'cross-site', 'Sec-Fetch-Dest': 'iframe' })
      .type('form')
      .send(sijaxBody('comet_echo', ['x', 2]))
      .expect(403);
    expect(parseChunks(res.text)).toEqual([crossSite]);
    expect(app.get(EchoProbe).cometCalls).toBe(before);
  });
});

describe('CSRF: trustedOrigins', () => {
  let app: INestApplication;

  beforeAll(async () => {
    app = await startWith({ csrf: { trustedOrigins: ['http://trusted.test'] } });
  });

  afterAll(() => app.close());

  it('lets a trusted origin through, by Origin or by Referer', async () => {
    await call(app, 'a', { 'Sec-Fetch-Site': 'cross-site', Origin: 'http://trusted.test' }).expect(
      200,
      echoed('a'),
    );
    await call(app, 'b', { Origin: 'http://trusted.test' }).expect(200, echoed('b'));
    await call(app, 'c', {
      'Sec-Fetch-Site': 'cross-site',
      Referer: 'http://trusted.test/some/page',
    }).expect(200, echoed('c'));
  });

  it('still refuses every other origin, including look-alikes', async () => {
    for (const origin of [
      'http://evil.test',
      'https://trusted.test',
      'http://trusted.test:8080',
      'http://trusted.test.evil.test',
      'null',
    ]) {
      await call(app, 1, { 'Sec-Fetch-Site': 'cross-site', Origin: origin }).expect(403, crossSite);
    }
    await call(app, 1, { 'Sec-Fetch-Site': 'cross-site' }).expect(403, crossSite);
  });
});

describe('CSRF: csrf: false', () => {
  let app: INestApplication;

  beforeAll(async () => {
    app = await startWith({ csrf: false });
  });

  afterAll(() => app.close());

  it('turns the check off', async () => {
    await call(app, 1, { 'Sec-Fetch-Site': 'cross-site', Origin: 'http://evil.test' }).expect(
      200,
      echoed(1),
    );
    await call(app, 2, { Referer: 'http://evil.test/' }).expect(200, echoed(2));
  });
});

describe('CSRF: token mode', () => {
  let app: INestApplication;

  beforeAll(async () => {
    app = await startWith({ csrf: { token: true } });
  });

  afterAll(() => app.close());

  /** The token the client script hands out with its double-submit cookie. */
  async function fetchToken(): Promise<string> {
    const res = await request(app.getHttpServer()).get('/sijax/sijax.js').expect(200);
    const cookie = res.headers['set-cookie'] as unknown as string[] | undefined;
    expect(cookie).toHaveLength(1);
    const match = /^sijax_csrf=([\w-]+); Path=\/; SameSite=Strict$/.exec(cookie![0]);
    expect(match).not.toBeNull();
    return match![1];
  }

  it('sets the sijax_csrf cookie (SameSite=Strict, Path=/) with the client script', async () => {
    const token = await fetchToken();
    expect(token.length).toBeGreaterThanOrEqual(32);
    expect(await fetchToken()).not.toBe(token);
  });

  it('does not replace a cookie the browser already has', async () => {
    const res = await request(app.getHttpServer())
      .get('/sijax/sijax.js')
      .set('Cookie', 'sijax_csrf=kept')
      .expect(200);
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('refuses a call without the token', async () => {
    await call(app, 1).expect(403, badToken);
    await call(app, 1, { 'Sec-Fetch-Site': 'same-origin' }).expect(403, badToken);
  });

  it('refuses the cookie alone, or the header alone', async () => {
    const token = await fetchToken();
    await call(app, 1, { Cookie: `sijax_csrf=${token}` }).expect(403, badToken);
    await call(app, 1, { 'X-Sijax-CSRF': token }).expect(403, badToken);
    await request(app.getHttpServer())
      .post('/sijax')
      .type('form')
      .send(sijaxBody('careless_echo', [1], { sijax_csrf: token }))
      .expect(403, badToken);
  });

  it('accepts the cookie with a matching X-Sijax-CSRF header', async () => {
    const token = await fetchToken();
    await call(app, 'h', { Cookie: `other=1; sijax_csrf=${token}`, 'X-Sijax-CSRF': token }).expect(
      200,
      echoed('h'),
    );
  });

  it('accepts the cookie with a matching sijax_csrf form field', async () => {
    const token = await fetchToken();
    await request(app.getHttpServer())
      .post('/sijax')
      .set('Cookie', `sijax_csrf=${token}`)
      .type('form')
      .send(sijaxBody('careless_echo', ['f'], { sijax_csrf: token }))
      .expect(200, echoed('f'));
    await request(app.getHttpServer())
      .post('/sijax')
      .set('Cookie', `sijax_csrf=${token}`)
      .field('sijax_rq', 'careless_echo')
      .field('sijax_args', '["m"]')
      .field('sijax_csrf', token)
      .expect(200, echoed('m'));
  });

  it('streams a Comet call whose iframe form carries the token', async () => {
    const token = await fetchToken();
    const res = await request(app.getHttpServer())
      .post('/sijax')
      .set({ Cookie: `sijax_csrf=${token}`, 'Sec-Fetch-Dest': 'iframe' })
      .type('form')
      .send(sijaxBody('comet_echo', ['t', 1], { sijax_csrf: token }))
      .expect(200);
    expect(parseChunks(res.text)).toEqual([
      [{ type: 'echo', value: 't', step: 0 }],
      [{ type: 'echo', value: 't', step: 'done' }],
    ]);
  });

  it('refuses a mismatching token, whatever its length', async () => {
    const before = calls(app);
    const token = await fetchToken();
    const other = await fetchToken();
    const cookie = `sijax_csrf=${token}`;
    for (const wrong of [other, token.slice(0, -1), `${token}x`, token.toUpperCase(), ' ']) {
      await call(app, 1, { Cookie: cookie, 'X-Sijax-CSRF': wrong }).expect(403, badToken);
      await request(app.getHttpServer())
        .post('/sijax')
        .set('Cookie', cookie)
        .type('form')
        .send(sijaxBody('careless_echo', [1], { sijax_csrf: wrong }))
        .expect(403, badToken);
    }
    // A wrong header is not rescued by a right field.
    await request(app.getHttpServer())
      .post('/sijax')
      .set({ Cookie: cookie, 'X-Sijax-CSRF': other })
      .type('form')
      .send(sijaxBody('careless_echo', [1], { sijax_csrf: token }))
      .expect(403, badToken);
    expect(calls(app)).toBe(before);
  });

  it('refuses a cross-site call even with a valid token', async () => {
    const token = await fetchToken();
    await call(app, 1, {
      Cookie: `sijax_csrf=${token}`,
      'X-Sijax-CSRF': token,
      'Sec-Fetch-Site': 'cross-site',
    }).expect(403, crossSite);
  });

  it('answers a malformed cookie with 403, not 500', async () => {
    await call(app, 1, { Cookie: 'sijax_csrf=%E0%A4%A', 'X-Sijax-CSRF': '%E0%A4%A' }).expect(
      403,
      badToken,
    );
  });
});

describe('CSRF: the origin includes the scheme, and only a trusted proxy speaks for TLS', () => {
  async function start(trustProxy: boolean): Promise<INestApplication> {
    const imports = [
      testAppModule({ csrf: { token: true } }, { providers: [EchoProbe, EchoHandlers] }),
    ];
    const moduleRef = await Test.createTestingModule({ imports }).compile();
    const app = createTestApp(moduleRef, {}, { trustProxy });
    await app.listen(0, '127.0.0.1');
    return app;
  }

  const cookieOf = async (app: INestApplication, headers: Record<string, string> = {}) => {
    const res = await request(app.getHttpServer()).get('/sijax/sijax.js').set(headers).expect(200);
    return (res.headers['set-cookie'] as unknown as string[])[0];
  };

  it('refuses an Origin with the right host but another scheme', async () => {
    const app = await start(false);
    try {
      const host = new URL(baseUrl(app)).host;
      const token = /=([\w-]+);/.exec(await cookieOf(app))![1];
      const withToken = { Cookie: `sijax_csrf=${token}`, 'X-Sijax-CSRF': token };
      await call(app, 1, { ...withToken, Origin: `https://${host}` }).expect(403, crossSite);
      await call(app, 1, { ...withToken, Origin: `http://${host}` }).expect(200, echoed(1));
    } finally {
      await app.close();
    }
  });

  it('ignores X-Forwarded-Proto from a client when the app does not trust its proxy', async () => {
    const app = await start(false);
    try {
      const cookie = await cookieOf(app, { 'X-Forwarded-Proto': 'https' });
      expect(cookie).toMatch(/^sijax_csrf=[\w-]+; Path=\/; SameSite=Strict$/);
      const host = new URL(baseUrl(app)).host;
      const token = /=([\w-]+);/.exec(cookie)![1];
      // A claimed https origin is not this plain-http request's origin.
      await call(app, 1, {
        Cookie: `sijax_csrf=${token}`,
        'X-Sijax-CSRF': token,
        'X-Forwarded-Proto': 'https',
        Origin: `https://${host}`,
      }).expect(403, crossSite);
    } finally {
      await app.close();
    }
  });

  it('behind a trusted TLS proxy: the __Host- cookie, Secure, and an https Origin', async () => {
    const app = await start(true);
    try {
      const proxied = { 'X-Forwarded-Proto': 'https' };
      const cookie = await cookieOf(app, proxied);
      const match = /^__Host-sijax_csrf=([\w-]+); Path=\/; SameSite=Strict; Secure$/.exec(cookie);
      expect(match).not.toBeNull();
      const token = match![1];
      const host = new URL(baseUrl(app)).host;
      const secure = { ...proxied, 'X-Sijax-CSRF': token, Origin: `https://${host}` };
      await call(app, 1, { ...secure, Cookie: `__Host-sijax_csrf=${token}` }).expect(
        200,
        echoed(1),
      );
      // Over HTTPS only the __Host- cookie counts: a plain one could come from a subdomain.
      await call(app, 1, { ...secure, Cookie: `sijax_csrf=${token}` }).expect(403, badToken);
    } finally {
      await app.close();
    }
  });
});
