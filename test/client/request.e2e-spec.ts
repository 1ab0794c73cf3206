/// <reference lib="dom" />
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import type { SijaxCommand } from '../../client/index';
import { CLIENT_BUNDLE, DEFAULT_PAGE, useClientHarness } from '../utils/browser';
import { readForm, sendJson } from '../utils/static-server';

interface Seen {
  path: string;
  form: Record<string, string>;
  headers: IncomingHttpHeaders;
}

/** What a rejected handle carried, as seen from the page. */
interface Failure {
  message: string;
  status: number;
  name: string;
}

describe('Sijax.request (Chromium)', () => {
  const harness = useClientHarness();
  let seen: Seen[];
  let answer: (form: URLSearchParams) => { status?: number; body: unknown };

  beforeEach(() => {
    seen = [];
    answer = () => ({ body: [] });
    for (const path of ['/sijax', '/myprefix', '/other']) {
      harness.server.route(path, async (req, res) => {
        const form = await readForm(req);
        seen.push({ path, form: Object.fromEntries(form), headers: req.headers });
        const { status = 200, body } = answer(form);
        if (typeof body === 'string') res.writeHead(status).end(body);
        else sendJson(res, body, status);
      });
    }
  });

  const commands = (...list: SijaxCommand[]) => ({ body: list });

  it('posts to the path the client script was loaded from', async () => {
    const { server } = harness;
    server.serve('/myprefix/sijax.js', readFileSync(CLIENT_BUNDLE));
    server.serve('/', '<script src="/myprefix/sijax.js?v=3"></script>', {
      'Content-Type': 'text/html',
    });
    const { page } = await harness.open();
    expect(await page.evaluate(() => window.Sijax.getRequestUri())).toBe(`${server.url}/myprefix`);
    await page.evaluate(() => window.Sijax.request('hello'));
    expect(seen.map((s) => s.path)).toEqual(['/myprefix']);
  });

  it('the ESM build exports the globals and defaults to /sijax', async () => {
    const { server } = harness;
    const esm = readFileSync(join(CLIENT_BUNDLE, '..', 'sijax.esm.js'));
    server.serve('/dist/sijax.esm.js', esm, {
      'Content-Type': 'text/javascript',
    });
    server.serve(
      '/',
      '<script type="module">import { Sijax, sjxComet } from "/dist/sijax.esm.js";' +
        'window.probe.esm = [Sijax === window.Sijax, sjxComet === window.sjxComet, ' +
        'Sijax.getRequestUri()];</script>',
      { 'Content-Type': 'text/html' },
    );
    const { page } = await harness.open();
    await page.waitForFunction(() => window.probe.esm);
    expect(await page.evaluate(() => window.probe.esm)).toEqual([true, true, '/sijax']);
  });

  it('sends the protocol fields, merges data, and resolves with the returned value', async () => {
    answer = (form) =>
      commands({ type: 'return', value: { echo: JSON.parse(form.get('sijax_args')!) } });
    const { page } = await harness.open();
    const [value, id] = await page.evaluate(async () => {
      const data = { extra: 'e', sijax_rq: 'overwritten' };
      const call = window.Sijax.request('save', [1, 'two', { three: 3 }], { data });
      return [await call, call.id];
    });
    expect(value).toEqual({ echo: [1, 'two', { three: 3 }] });
    expect(seen[0].form).toEqual({
      extra: 'e',
      sijax_rq: 'save',
      sijax_args: '[1,"two",{"three":3}]',
      sijax_call: id,
    });
    expect(seen[0].headers).toMatchObject({
      accept: 'application/json',
      'x-requested-with': 'XMLHttpRequest',
      'content-type': expect.stringContaining('application/x-www-form-urlencoded'),
    });
    await page.evaluate(() => window.Sijax.request('noArgs', undefined, { url: '/other' }));
    expect(seen[1]).toMatchObject({
      path: '/other',
      form: { sijax_rq: 'noArgs', sijax_args: '[]' },
    });
  });

  it('rejects on an error command, calling onError and logging unless silenced', async () => {
    answer = () =>
      commands(
        { type: 'html', selector: '#x', html: 'ran', setType: 'replace' },
        { type: 'error', error: 'Nope', status: 403, name: 'ForbiddenException' },
        { type: 'html', selector: '#x', html: 'skipped', setType: 'replace' },
      );
    const { page, logs } = await harness.open();
    const failure = await page.evaluate(() =>
      window.Sijax.request('guarded', [], {
        onError: (e) => void (window.probe.onError = e.message),
      }).catch(({ message, status, name }: Error & { status: number }) => ({
        message,
        status,
        name,
      })),
    );
    expect(failure).toEqual<Failure>({ message: 'Nope', status: 403, name: 'ForbiddenException' });
    expect(await page.evaluate(() => [window.probe.onError, document.body.textContent])).toEqual([
      'Nope',
      'ran',
    ]);
    expect(logs.filter((line) => line.startsWith('Sijax:'))).toHaveLength(1);
    // Silenced by onError returning false, then by preventDefault on the event.
    await page.evaluate(() =>
      window.Sijax.request('a', [], { onError: () => false }).catch(() => 0),
    );
    await page.evaluate(() => {
      document.addEventListener('sijax:error', (e) => e.preventDefault());
      return window.Sijax.request('b').catch(() => 0);
    });
    expect(logs.filter((line) => line.startsWith('Sijax:'))).toHaveLength(1);
  });

  it('rejects with the HTTP status on a non-JSON error page, and processes a JSON error body', async () => {
    const { page } = await harness.open();
    const fail = () =>
      page.evaluate(() =>
        window.Sijax.request('x').then(
          () => null,
          ({ message, status, name }: Error & { status: number }) => ({ message, status, name }),
        ),
      );
    answer = () => ({ status: 500, body: '<h1>Internal Server Error</h1>' });
    expect(await fail()).toEqual<Failure>({ message: 'HTTP 500', status: 500, name: 'HttpError' });
    answer = () => ({ status: 200, body: 'not json' });
    expect(await fail()).toMatchObject({ status: 200, name: 'ParseError' });
    answer = () => ({ status: 422, body: [{ type: 'error', error: 'Bad input', status: 422 }] });
    expect(await fail()).toEqual<Failure>({
      message: 'Bad input',
      status: 422,
      name: 'SijaxError',
    });
  });

  it('rejects with status 0 on a network failure', async () => {
    harness.server.route('/sijax', (req) => req.socket.destroy());
    const { page } = await harness.open();
    const failure = await page.evaluate(() =>
      window.Sijax.request('x').catch(({ status, name }: Error & { status: number }) => [
        status,
        name,
      ]),
    );
    expect(failure).toEqual([0, 'NetworkError']);
  });

  it('an ignored failing call causes no unhandled rejection', async () => {
    answer = () => ({ status: 500, body: 'boom' });
    const { page, pageErrors } = await harness.open();
    const unhandled = await page.evaluate(async () => {
      let count = 0;
      window.addEventListener('unhandledrejection', () => count++);
      const failed = new Promise((resolve) => document.addEventListener('sijax:error', resolve));
      void window.Sijax.request('ignored');
      await failed;
      void Promise.reject(new Error('control'));
      // Two macrotasks: long enough for the browser to report unhandled rejections.
      await new Promise((resolve) => setTimeout(resolve, 50));
      await new Promise((resolve) => setTimeout(resolve, 50));
      return count;
    });
    expect(unhandled).toBe(1); // the control only
    expect(pageErrors).toEqual(['control']);
  });

  it('dispatches sijax:start, sijax:done and sijax:error on document', async () => {
    answer = (form) =>
      form.get('sijax_rq') === 'ok'
        ? commands({ type: 'return', value: 5 })
        : commands({ type: 'error', error: 'bad', status: 400 });
    const { page } = await harness.open();
    const events = await page.evaluate(async () => {
      const log: unknown[] = [];
      for (const type of ['start', 'done', 'error']) {
        document.addEventListener(`sijax:${type}`, (e) => {
          const detail = { ...(e as CustomEvent<Record<string, unknown>>).detail };
          if (detail.error) detail.error = (detail.error as Error).message;
          log.push([type, detail]);
        });
      }
      const ok = window.Sijax.request('ok', [1]);
      await ok;
      const bad = window.Sijax.request('bad');
      await bad.catch(() => 0);
      const aborted = window.Sijax.request('ok', [2]);
      aborted.abort();
      await aborted.catch(() => 0);
      return [log.slice(0, 5), ok.id, bad.id, log.slice(5), aborted.id];
    });
    const [log, okId, badId, abortLog, abortedId] = events as [
      unknown[],
      string,
      string,
      unknown[],
      string,
    ];
    expect(abortLog).toEqual([
      ['start', { call: 'ok', id: abortedId, args: [2] }],
      ['done', { call: 'ok', id: abortedId, error: 'Aborted' }],
    ]);
    expect(log).toEqual([
      ['start', { call: 'ok', id: okId, args: [1] }],
      ['done', { call: 'ok', id: okId, value: 5 }],
      ['start', { call: 'bad', id: badId, args: [] }],
      ['error', { call: 'bad', id: badId, error: 'bad' }],
      // Every call ends with one sijax:done, a failed one with its error.
      ['done', { call: 'bad', id: badId, error: 'bad' }],
    ]);
  });

  it('onCommand sees every command and can skip one', async () => {
    answer = () =>
      commands(
        { type: 'html', selector: '#x', html: 'one', setType: 'replace' },
        { type: 'html', selector: '#x', html: 'two', setType: 'append' },
      );
    const { page } = await harness.open();
    const types = await page.evaluate(async () => {
      const html: unknown[] = [];
      await window.Sijax.request('x', [], {
        onCommand: (command) => (html.push(command.html), command.html !== 'two'),
      });
      return html;
    });
    expect(types).toEqual(['one', 'two']);
    expect(await page.textContent('#x')).toBe('one');
  });

  it('abort() rejects with an AbortError and runs no command', async () => {
    answer = () => commands({ type: 'html', selector: '#x', html: 'late', setType: 'replace' });
    const { page } = await harness.open();
    const name = await page.evaluate(() => {
      const call = window.Sijax.request('slow');
      call.abort();
      return call.catch((e: Error) => e.name);
    });
    expect(name).toBe('AbortError');
    expect(await page.textContent('#x')).toBe('x');
  });

  it('sends the CSRF token as X-Sijax-CSRF: set by hand, else meta tag, else cookie', async () => {
    harness.server.serve(
      '/',
      '<meta name="sijax-csrf-token" content="from-meta"><script src="/sijax/sijax.js"></script>',
      { 'Content-Type': 'text/html', 'Set-Cookie': 'sijax_csrf=from%20cookie; Path=/' },
    );
    const { page } = await harness.open();
    await page.evaluate(async () => {
      await window.Sijax.request('meta');
      window.Sijax.setCsrfToken('by-hand');
      await window.Sijax.request('hand');
      window.Sijax.setCsrfToken(null);
      document.querySelector('meta')!.remove();
      await window.Sijax.request('cookie');
    });
    expect(seen.map((s) => s.headers['x-sijax-csrf'])).toEqual([
      'from-meta',
      'by-hand',
      'from cookie',
    ]);
    harness.server.serve('/bare', DEFAULT_PAGE, { 'Content-Type': 'text/html' });
    const { page: bare } = await harness.open('/bare');
    await bare.evaluate(() => window.Sijax.request('none'));
    expect(seen[3].headers['x-sijax-csrf']).toBeUndefined();
  });

  it('gives 200 calls started in the same tick distinct ids and routes each answer to its call', async () => {
    answer = (form) => commands({ type: 'return', value: form.get('sijax_call') });
    const { page } = await harness.open();
    const [ids, values] = await page.evaluate(async () => {
      const calls = Array.from({ length: 200 }, (_, i) => window.Sijax.request('n', [i]));
      return [calls.map((call) => call.id), await Promise.all(calls)];
    });
    expect(new Set(ids).size).toBe(200);
    expect(values).toEqual(ids);
  });
});
