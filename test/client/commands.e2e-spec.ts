/// <reference lib="dom" />
import type { Page } from 'playwright-core';
import type { SijaxCommand } from '../../client/index';
import { useClientHarness } from '../utils/browser';
import { readForm, sendJson } from '../utils/static-server';

describe('client commands (Chromium)', () => {
  const harness = useClientHarness();
  let answer: SijaxCommand[] = [];

  beforeEach(() => {
    harness.server.route('/sijax', async (req, res) => {
      await readForm(req);
      sendJson(res, answer);
    });
  });

  /** Sends `commands` through a real call; resolves with the value or 'rejected: <message>'. */
  function run(page: Page, commands: SijaxCommand[]): Promise<unknown> {
    answer = commands;
    return page.evaluate(() =>
      window.Sijax.request('run').catch((e: Error) => `rejected: ${e.message}`),
    );
  }

  it('html replaces, appends and prepends on every match, without running scripts', async () => {
    const { page } = await harness.open();
    await run(page, [
      {
        type: 'html',
        selector: '#x',
        html: '<p class="p">1</p><p class="p">2</p>',
        setType: 'replace',
      },
      { type: 'html', selector: '.p', html: '<b>A</b>', setType: 'append' },
      { type: 'html', selector: '.p', html: '<i>P</i>', setType: 'prepend' },
      { type: 'html', selector: '.p', html: '<u>O</u>', setType: 'other' },
      { type: 'html', selector: '#x', html: '<script>window.ran = 1</script>', setType: 'append' },
    ]);
    expect(await page.innerHTML('#x')).toBe(
      '<p class="p"><u>O</u><i>P</i>1<b>A</b></p><p class="p"><u>O</u><i>P</i>2<b>A</b></p>' +
        '<script>window.ran = 1</script>',
    );
    expect(await page.evaluate(() => window.probe.ran)).toBeUndefined();
  });

  it('attr sets properties (booleans, numbers, class, for) and attributes, with append/prepend', async () => {
    harness.server.serve(
      '/',
      '<button id="b">b</button><progress id="p" max="10"></progress><label id="l">l</label>' +
        '<div id="d" class="a"></div><script src="/sijax/sijax.js"></script>',
    );
    const { page } = await harness.open();
    await run(page, [
      { type: 'attr', selector: '#b', key: 'disabled', value: true, setType: 'replace' },
      { type: 'attr', selector: '#p', key: 'value', value: 3, setType: 'replace' },
      { type: 'attr', selector: '#l', key: 'for', value: 'b', setType: 'replace' },
      { type: 'attr', selector: '#d', key: 'class', value: ' b', setType: 'append' },
      { type: 'attr', selector: '#d', key: 'class', value: 'z ', setType: 'prepend' },
      { type: 'attr', selector: '#d', key: 'data-x', value: 'v', setType: 'replace' },
      { type: 'attr', selector: '#d', key: 'data-x', value: 2, setType: 'append' },
      { type: 'attr', selector: '#d', key: 'title', value: 't', setType: 'replace' },
    ]);
    expect(
      await page.evaluate(() => {
        const $ = (s: string) => document.querySelector(s) as HTMLElement;
        return [
          ($('#b') as HTMLButtonElement).disabled,
          ($('#p') as HTMLProgressElement).value,
          $('#l').getAttribute('for'),
          $('#d').className,
          $('#d').getAttribute('data-x'),
          $('#d').title,
        ];
      }),
    ).toEqual([true, 3, 'b', 'z a b', 'v2', 't']);
  });

  it('css sets properties, adding px to numbers except unitless ones', async () => {
    const { page } = await harness.open();
    await run(page, [
      { type: 'css', selector: '#x', key: 'color', value: 'red' },
      { type: 'css', selector: '#x', key: 'width', value: 12 },
      { type: 'css', selector: '#x', key: 'margin-top', value: 4 },
      { type: 'css', selector: '#x', key: 'background-color', value: 'blue' },
      { type: 'css', selector: '#x', key: 'opacity', value: 0.5 },
      { type: 'css', selector: '#x', key: 'z-index', value: 3 },
    ]);
    expect(await page.getAttribute('#x', 'style')).toBe(
      'color: red; width: 12px; margin-top: 4px; background-color: blue; opacity: 0.5; z-index: 3;',
    );
  });

  it('script runs with the command as `params` and keeps var declarations local', async () => {
    const { page } = await harness.open();
    await run(page, [
      { type: 'script', script: 'var local = 1; window.probe.seen = params.extra;', extra: 42 },
    ]);
    const seen = () => [window.probe.seen, (window as unknown as Record<string, unknown>).local];
    expect(await page.evaluate(seen)).toEqual([42, undefined]);
  });

  it('warns in the console about a selector that matches nothing, once warnings are on', async () => {
    const { page, logs } = await harness.open();
    const run = () =>
      page.evaluate(() =>
        window.Sijax.processCommands([
          { type: 'html', selector: '#typo', html: 'x', setType: 'replace' },
        ]),
      );
    await run();
    expect(logs.filter((line) => line.includes('#typo'))).toEqual([]);
    await page.evaluate(() => window.Sijax.configure({ warnings: true }));
    await run();
    expect(logs).toContain('Sijax: no element matches #typo');
  });

  it('remove removes every match', async () => {
    const { page } = await harness.open();
    await run(page, [
      {
        type: 'html',
        selector: '#x',
        html: '<i class="r"></i><i class="r"></i><b></b>',
        setType: 'replace',
      },
      { type: 'remove', remove: '.r' },
    ]);
    expect(await page.innerHTML('#x')).toBe('<b></b>');
  });

  it('call resolves a dotted path without eval and calls it with `this` = its owner', async () => {
    const { page } = await harness.open();
    await page.evaluate(() => {
      const probe = window.probe;
      probe.app = {
        ns: {
          label: 'ns',
          fn(this: { label: string }, a: number, b: string) {
            probe.got = [this.label, a, b];
          },
        },
      };
    });
    await run(page, [{ type: 'call', call: 'probe.app.ns.fn', params: [1, 'x'] }]);
    expect(await page.evaluate(() => window.probe.got)).toEqual(['ns', 1, 'x']);
    expect(await run(page, [{ type: 'call', call: 'probe.nope.fn', params: [] }])).toBe(
      'rejected: Not a function: probe.nope.fn',
    );
  });

  it('alert opens a dialog with the message', async () => {
    const { page } = await harness.open();
    const messages: string[] = [];
    page.on('dialog', (dialog) => {
      messages.push(dialog.message());
      void dialog.accept();
    });
    await run(page, [{ type: 'alert', alert: 'Hello!' }]);
    expect(messages).toEqual(['Hello!']);
  });

  it('custom commands: registerCommand, legacy Sijax.process_<type>, getCommandProcessor', async () => {
    const { page } = await harness.open();
    await page.evaluate(() => {
      const probe = window.probe;
      window.Sijax.registerCommand('flash', (command, call) => {
        probe.flash = [command.text, call?.name];
      });
      (window.Sijax as unknown as Record<string, unknown>).process_legacy = (c: SijaxCommand) => {
        probe.legacy = c.n;
      };
    });
    await run(page, [
      { type: 'flash', text: 'hi' },
      { type: 'legacy', n: 7 },
    ]);
    expect(await page.evaluate(() => [window.probe.flash, window.probe.legacy])).toEqual([
      ['hi', 'run'],
      7,
    ]);
    expect(
      await page.evaluate(() => [
        typeof window.Sijax.getCommandProcessor('alert'),
        typeof window.Sijax.getCommandProcessor('nope'),
      ]),
    ).toEqual(['function', 'undefined']);
  });

  it('an unknown command reports sijax:error, skips the rest of its batch, and others still run', async () => {
    const { page, logs, pageErrors } = await harness.open();
    await page.evaluate(() => {
      document.addEventListener('sijax:error', (e) => {
        const { error, call } = (e as CustomEvent<{ error: Error; call: string }>).detail;
        window.probe.reported = [error.message, call];
      });
    });
    const result = await run(page, [
      { type: 'html', selector: '#x', html: 'before', setType: 'replace' },
      { type: 'bogus' },
      { type: 'html', selector: '#x', html: 'after', setType: 'replace' },
    ]);
    expect(result).toBe('rejected: Unknown command type: bogus');
    expect(await page.evaluate(() => window.probe.reported)).toEqual([
      'Unknown command type: bogus',
      'run',
    ]);
    expect(await page.textContent('#x')).toBe('before');
    expect(logs.some((line) => line.startsWith('Sijax:'))).toBe(true);
    await run(page, [{ type: 'html', selector: '#x', html: 'next call', setType: 'replace' }]);
    expect(await page.textContent('#x')).toBe('next call');
    expect(pageErrors).toEqual([]);
  });

  describe('under Content-Security-Policy: script-src self', () => {
    beforeEach(() => {
      const page = '<!doctype html><div id="x"></div><script src="/sijax/sijax.js"></script>';
      const csp = { 'Content-Type': 'text/html', 'Content-Security-Policy': "script-src 'self'" };
      harness.server.serve('/csp', page, csp);
      harness.server.serve('/landed', '<!doctype html>landed', { 'Content-Type': 'text/html' });
    });

    it('redirects without eval, while eval-based scripts are refused', async () => {
      const { page } = await harness.open('/csp');
      expect(await run(page, [{ type: 'script', script: 'window.evaled = 1;' }])).toMatch(
        /^rejected: .*(unsafe-eval|Content Security Policy)/,
      );
      const target = `${harness.server.url}/landed?a="b"`;
      answer = [{ type: 'script', script: `window.location = ${JSON.stringify(target)};` }];
      await Promise.all([
        page.waitForURL('**/landed*'),
        page.evaluate(() => void window.Sijax.request('go')),
      ]);
      expect(await page.textContent('body')).toBe('landed');
    });

    it('refuses a javascript: redirect', async () => {
      const { page } = await harness.open('/csp');
      const script = 'window.location = "javascript:alert(1)";';
      expect(await run(page, [{ type: 'script', script }])).toBe(
        'rejected: Refused javascript: redirect',
      );
    });
  });
});
