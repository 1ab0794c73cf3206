/// <reference lib="dom" />
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createSampleApp } from '../../sample/sample-app';
import { buildClient, launchBrowser } from '../utils/browser';

/** A value of `#bar` as the page saw it change, and whether `#status` said Done then. */
interface BarSample {
  value: number;
  done: boolean;
}

declare global {
  interface Window {
    /** What this spec records inside the page. */
    sampleSpec: { bar: BarSample[]; stepsAtError?: number };
  }
}

describe('sample app (Chromium)', () => {
  let app: NestExpressApplication;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    buildClient();
    // Small enough to be quick, large enough that each step arrives on its own.
    process.env.SAMPLE_STEP_MS = '150';
    app = await createSampleApp({ logger: false });
    await app.listen(0, '127.0.0.1');
    browser = await launchBrowser();
    context = await browser.newContext();
    page = await context.newPage();
    // Below jest's timeout, so that a failure names what it waited for.
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    // Console errors too: a CSP violation, or an error the page failed to handle, logs one.
    page.on('console', (message) => {
      if (message.type() === 'error')
        pageErrors.push(`${message.text()} (${message.location().url})`);
    });
    await page.goto(await app.getUrl());
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await app?.close();
    delete process.env.SAMPLE_STEP_MS;
  });

  afterEach(() => expect(pageErrors.splice(0)).toEqual([]));

  /** Clicks `selector` and returns the text of the alert it leads to. */
  async function alertAfterClick(selector: string): Promise<string> {
    // Accept from the listener: an open alert blocks the page, and with it the end of the click.
    const message = new Promise<string>((resolve) =>
      page.once('dialog', (dialog) => {
        resolve(dialog.message());
        void dialog.accept();
      }),
    );
    await page.click(selector);
    return message;
  }

  it('streams the progress of the long task, step by step', async () => {
    await page.evaluate(() => {
      window.sampleSpec = { bar: [] };
      const bar = document.querySelector<HTMLProgressElement>('#bar')!;
      const status = document.querySelector('#status')!;
      new MutationObserver(() => {
        const done = status.textContent === 'Done';
        window.sampleSpec.bar.push({ value: bar.value, done });
      }).observe(document.body, { attributes: true, childList: true, subtree: true });
    });
    await page.click('#start');
    await page.waitForFunction(() => document.querySelector('#status')?.textContent === 'Done');

    const seen = await page.evaluate(() => window.sampleSpec.bar);
    const before = [...new Set(seen.filter((s) => !s.done).map((s) => s.value))];
    // Values seen while the task still ran: intermediate ones, in order.
    expect(before.filter((v) => v > 0 && v < 10).length).toBeGreaterThanOrEqual(3);
    expect(before).toEqual([...before].sort((a, b) => a - b));
    expect(seen[seen.length - 1]).toEqual({ value: 10, done: true });
    expect(await page.textContent('#progress')).toBe('10 of 10');
    expect(await page.isEnabled('#start')).toBe(true);
  });

  it('says hello in an alert', async () => {
    await page.fill('#hello-name', 'Ann');
    expect(await alertAfterClick('#hello')).toBe('Hello Ann');
  });

  it('counts down with a Comet callback', async () => {
    await page.click('#countdown');
    await page.waitForFunction(() => document.querySelector('#count')?.textContent === '3');
    await page.waitForFunction(() => document.querySelector('#count')?.textContent === 'Liftoff!');
  });

  it('sends the form values, nested, and shows user text as text', async () => {
    const hostile = '<script>window.pwned = 1</script><img src="x" onerror="window.pwned = 2">';
    const url = page.url();
    await page.fill('#profile [name="name"]', hostile);
    await page.fill('#profile [name="address[street]"]', '1 Rue de la Paix');
    await page.fill('#profile [name="address[city]"]', 'Lyon');
    await page.check('#profile [value="news"]');
    await page.check('#profile [value="offers"]');
    await page.click('#profile [type="submit"]');
    await page.waitForSelector('#profile-result dd');

    const values = await page.$$eval('#profile-result dd', (dds) =>
      dds.map((dd) => dd.textContent),
    );
    expect(values).toEqual([hostile, '1 Rue de la Paix', 'Lyon', 'news, offers']);
    expect(await page.$$('#profile-result script, #profile-result img')).toHaveLength(0);
    expect(await page.evaluate(() => 'pwned' in window)).toBe(false);
    expect(page.url()).toBe(url); // the submit did not navigate
  });

  it('shows the steps of a failing task, then its error, and keeps working', async () => {
    await page.evaluate(() => {
      window.sampleSpec = { bar: [] };
      document.addEventListener('sijax:error', () => {
        window.sampleSpec.stepsAtError = document.querySelectorAll('#fail-log li').length;
      });
    });
    await page.click('#fail');
    await page.waitForSelector('#errors li');
    // Wait for the call to end: the rejected handle must not add a second line.
    await page.waitForFunction(() => !document.querySelector<HTMLButtonElement>('#fail')!.disabled);

    expect(await page.evaluate(() => window.sampleSpec.stepsAtError)).toBe(3);
    expect(await page.$$eval('#fail-log li', (items) => items.map((li) => li.textContent))).toEqual(
      ['Step 1 done', 'Step 2 done', 'Step 3 done'],
    );
    expect(await page.$$eval('#errors li', (items) => items.map((li) => li.textContent))).toEqual([
      'failing failed: Internal server error',
    ]);

    await page.fill('#hello-name', 'again');
    expect(await alertAfterClick('#hello')).toBe('Hello again');
  });
});
