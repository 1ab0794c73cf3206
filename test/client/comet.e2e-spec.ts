/// <reference lib="dom" />
import type { ServerResponse } from 'node:http';
import type { Page } from 'playwright-core';
import type { SijaxCommand } from '../../client/index';
import { useClientHarness } from '../utils/browser';
import { latch, readForm } from '../utils/static-server';

/** One Comet chunk, as the server streams it: JSON with `<` escaped so it cannot end the script. */
function chunk(commands: SijaxCommand[], callId?: string): string {
  const args = [commands, ...(callId ? [callId] : [])].map((a) => JSON.stringify(a));
  const js = `window.parent.Sijax.processCommands(${args.join(',')})`.replace(/</g, '\\u003c');
  return `<script>${js}</script>\n`;
}

const html = (text: string): SijaxCommand => ({
  type: 'html',
  selector: '#x',
  html: text,
  setType: 'replace',
});

// The whole client, and the smallest build (served when no handler is resumable or an upload).
describe.each(['sijax.js', 'builds/core.js'] as const)(
  'sjxComet.request, %s (Chromium)',
  (build) => {
    const harness = useClientHarness(build);
    let forms: Record<string, string>[];
    /** Writes the response of one Comet call; each test sets it. */
    let stream: (res: ServerResponse, callId: string) => Promise<void>;

    beforeEach(() => {
      forms = [];
      harness.server.route('/sijax', async (req, res) => {
        const form = await readForm(req);
        forms.push(Object.fromEntries(form));
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
        await stream(res, form.get('sijax_call') ?? '');
        res.end();
      });
    });

    /** Starts a Comet call in the page and keeps its handle as `window.probe.call`. */
    async function start(page: Page, name: string, options = {}): Promise<string> {
      return page.evaluate(
        ([name, options]) => {
          const call = window.sjxComet.request(name as string, [1, 'a'], options);
          window.probe.call = call;
          call.then(
            (value) => (window.probe.outcome = ['resolved', value]),
            (e: Error & { status: number }) =>
              (window.probe.outcome = ['rejected', e.name, e.message, e.status]),
          );
          return call.id;
        },
        [name, options],
      );
    }

    const frames = (page: Page) =>
      page.evaluate(() =>
        Array.from(document.querySelectorAll('iframe, form'), (el) => [
          el.id,
          (el as HTMLElement).style.display,
        ]),
      );

    it('applies chunk 1 while the response is open, resolves on load and removes iframe and form', async () => {
      const gate = latch();
      stream = async (res, id) => {
        res.write(chunk([html('step 1')], id));
        await gate.promise;
        res.write(chunk([html('step 2'), { type: 'return', value: { done: true } }], id));
      };
      const { page } = await harness.open();
      const id = await start(page, 'progress', { data: { extra: 'e' } });
      await page.waitForFunction(() => document.querySelector('#x')?.textContent === 'step 1');
      expect(await page.evaluate(() => window.probe.outcome)).toBeUndefined();
      expect(await frames(page)).toEqual([
        [`frame4_progress_${id}`, 'none'],
        [`form4_progress_${id}`, 'none'],
      ]);
      expect(forms).toEqual([
        { extra: 'e', sijax_rq: 'progress', sijax_args: '[1,"a"]', sijax_call: id },
      ]);
      gate.release();
      await page.waitForFunction(() => window.probe.outcome);
      expect(await page.evaluate(() => window.probe.outcome)).toEqual(['resolved', { done: true }]);
      expect(await page.textContent('#x')).toBe('step 2');
      await page.waitForFunction(() => !document.querySelector('iframe, form'));
    });

    it('rejects when an error command arrives for the call', async () => {
      stream = async (res, id) => {
        res.write(chunk([html('partial')], id));
        res.write(
          chunk([{ type: 'error', error: 'Handler failed', status: 500, name: 'Boom' }], id),
        );
      };
      const { page, logs } = await harness.open();
      await start(page, 'failing');
      await page.waitForFunction(() => window.probe.outcome);
      expect(await page.evaluate(() => window.probe.outcome)).toEqual([
        'rejected',
        'Boom',
        'Handler failed',
        500,
      ]);
      expect(await page.textContent('#x')).toBe('partial');
      expect(logs.some((line) => line.startsWith('Sijax:'))).toBe(true);
      await page.waitForFunction(() => !document.querySelector('iframe, form'));
    });

    it('abort() removes iframe and form at once, rejects, and the server sees the connection close', async () => {
      const closed = latch();
      stream = async (res, id) => {
        res.on('close', closed.release);
        res.write(chunk([html('working')], id));
        await closed.promise; // held open until the browser goes away
      };
      const { page } = await harness.open();
      await start(page, 'endless');
      await page.waitForFunction(() => document.querySelector('#x')?.textContent === 'working');
      const left = await page.evaluate(() => {
        (window.probe.call as { abort(): void }).abort();
        return document.querySelectorAll('iframe, form').length;
      });
      expect(left).toBe(0);
      await closed.promise; // jest's timeout fails the test if the connection stays open
      await page.waitForFunction(() => window.probe.outcome);
      expect(await page.evaluate(() => window.probe.outcome)).toEqual([
        'rejected',
        'AbortError',
        'Aborted',
        0,
      ]);
    });

    it('works with old servers that omit the call id', async () => {
      stream = async (res) => void res.write(chunk([html('old server')]));
      const { page } = await harness.open();
      await start(page, 'legacy');
      await page.waitForFunction(() => window.probe.outcome);
      expect(await page.evaluate(() => window.probe.outcome)).toEqual(['resolved', undefined]);
      expect(await page.textContent('#x')).toBe('old server');
    });

    it('sends the CSRF token as the hidden field sijax_csrf', async () => {
      stream = async () => undefined;
      const { page } = await harness.open();
      await page.evaluate(() => window.Sijax.setCsrfToken('tok'));
      await start(page, 'csrf');
      await page.waitForFunction(() => window.probe.outcome);
      expect(forms[0]).toMatchObject({ sijax_rq: 'csrf', sijax_csrf: 'tok' });
    });
  },
);
