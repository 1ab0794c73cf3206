/// <reference lib="dom" />
import type { Page } from 'playwright-core';
import { CLIENT_BUILDS, useClientHarness } from '../utils/browser';
import { latch, readForm } from '../utils/static-server';

const frame = (id: number, commands: unknown[]) =>
  `id: ${id}\nevent: commands\ndata: ${JSON.stringify(commands)}\n\n`;

/** Starts a Comet call over fetch; its outcome lands in `window.probe.outcome`. */
function startFetchCall(page: Page): Promise<void> {
  return page.evaluate(() => {
    window.sjxComet.request('task', [], { transport: 'fetch' }).then(
      (value) => (window.probe.outcome = ['resolved', value]),
      (e: Error & { status: number }) => (window.probe.outcome = ['rejected', e.name, e.status]),
    );
  });
}

// What sets the builds apart; everything they share runs on the smallest in comet.e2e-spec.
describe.each(CLIENT_BUILDS)('the client build $file (Chromium)', ({ file, resume, upload }) => {
  const harness = useClientHarness(file);

  it('runs the batches of a Comet stream over fetch, and resolves at its end frame', async () => {
    const gate = latch();
    harness.server.route('/sijax', async (req, res) => {
      await readForm(req);
      res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8' });
      res.write(frame(1, [{ type: 'html', selector: '#x', html: 'step 1', setType: 'replace' }]));
      await gate.promise;
      res.end(frame(2, [{ type: 'return', value: 7 }]) + 'event: end\ndata: {}\n\n');
    });
    const { page } = await harness.open();
    await startFetchCall(page);
    await page.waitForFunction(() => document.querySelector('#x')?.textContent === 'step 1');
    expect(await page.evaluate(() => window.probe.outcome)).toBeUndefined();
    gate.release();
    await page.waitForFunction(() => window.probe.outcome);
    expect(await page.evaluate(() => window.probe.outcome)).toEqual(['resolved', 7]);
  });

  it('rejects a call that is not resumable with StreamCutError when its stream stops before the end', async () => {
    let posts = 0;
    harness.server.route('/sijax', async (req, res) => {
      posts++;
      await readForm(req);
      res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8' });
      res.end(frame(1, [{ type: 'html', selector: '#x', html: 'step 1', setType: 'replace' }]));
    });
    const { page } = await harness.open();
    await startFetchCall(page);
    await page.waitForFunction(() => window.probe.outcome);
    expect(await page.evaluate(() => window.probe.outcome)).toEqual([
      'rejected',
      'StreamCutError',
      0,
    ]);
    expect(await page.textContent('#x')).toBe('step 1');
    expect(posts).toBe(1); // not re-posted: that would run the handler again
  });

  it(
    resume
      ? 'has Sijax.attach'
      : 'answers Sijax.attach with a clear error: the server has no resumable handler',
    async () => {
      harness.server.route('/sijax', async (req, res) => {
        await readForm(req);
        res.writeHead(410, { 'Content-Type': 'application/json' });
        res.end('[{"type":"error","error":"Gone","status":410,"name":"CallGoneError"}]');
      });
      const { page } = await harness.open();
      const outcome = await page.evaluate(async () => {
        try {
          await window.Sijax.attach('a'.repeat(22), { transport: 'fetch' });
          return ['resolved'];
        } catch (e) {
          return ['rejected', (e as Error).name, (e as Error).message];
        }
      });
      expect(outcome).toEqual(
        resume
          ? ['rejected', 'CallGoneError', 'Gone']
          : ['rejected', 'SijaxError', 'Sijax.attach: no such handler on the server'],
      );
    },
  );

  it(
    upload
      ? 'uploads forms marked data-sijax-upload, and has sjxUpload'
      : 'leaves data-sijax-upload forms alone, and answers Sijax.upload with a clear error',
    async () => {
      // The URL of each call the page posts, in order: `nextPost()` waits for the next one.
      const waiting: ((url: string) => void)[] = [];
      const arrived: string[] = [];
      const nextPost = () =>
        arrived.length
          ? Promise.resolve(arrived.shift()!)
          : new Promise<string>((resolve) => waiting.push(resolve));
      harness.server.route('/sijax', async (req, res) => {
        const url = String(req.url);
        const waiter = waiting.shift();
        if (waiter) waiter(url);
        else arrived.push(url);
        req.resume();
        await new Promise((resolve) => req.on('end', resolve));
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('[]');
      });
      harness.server.serve(
        '/',
        '<!doctype html><meta charset="utf-8"><script src="/sijax/sijax.js"></script>' +
          '<form id="f" method="post" action="/sijax?plain" data-sijax-upload>' +
          '<input name="a" value="1"></form>',
        { 'Content-Type': 'text/html' },
      );
      const { page } = await harness.open();
      const direct = await page.evaluate(() => {
        try {
          void window.Sijax.upload('#f');
          return 'called';
        } catch (e) {
          return (e as Error).message;
        }
      });
      expect(direct).toBe(upload ? 'called' : 'Sijax.upload: no such handler on the server');
      if (upload) expect(await nextPost()).toContain('sijax_rq=f_upload');
      expect(await page.evaluate(() => typeof window.sjxUpload)).toBe(
        upload ? 'object' : 'undefined',
      );
      const submit = () =>
        page.evaluate(() => (document.getElementById('f') as HTMLFormElement).requestSubmit());
      if (upload) {
        // Intercepted: an XHR to the call's URL, and the page stays.
        await submit();
        expect(await nextPost()).toContain('sijax_rq=f_upload');
        expect(await page.evaluate(() => typeof window.Sijax)).toBe('object');
      } else {
        // A plain form post: the browser navigates to the form's action.
        await Promise.all([page.waitForNavigation(), submit()]);
        expect(await nextPost()).toBe('/sijax?plain');
      }
    },
  );
});
