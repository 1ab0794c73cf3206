/// <reference lib="dom" />
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import helmet from 'helmet';
import { JobsService } from '../../sample/jobs.service';
import { createSampleApp } from '../../sample/sample-app';
import { buildClient, launchBrowser } from '../utils/browser';
import { Latch, until } from '../utils/latch';

/** Where the screenshot of the page in the middle of a task goes (docs/images/sample.png is a copy). */
const SCREENSHOT = join(__dirname, '..', '..', 'artifacts', 'sample-mid-task.png');
const VIEWPORT = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
/** The steps of the resumable task the page starts. */
const RESUMABLE_STEPS = 12;

/** A value of `#bar` as the page saw it change, and whether `#status` said Done then. */
interface BarSample {
  value: number;
  done: boolean;
}

declare global {
  interface Window {
    /** What this spec records inside the page. */
    sampleSpec: {
      bar: BarSample[];
      activity: string[];
      stepsAtError?: number;
      /** The import's two bars, in the order they changed: which one, its value and max. */
      bars?: ['upload' | 'rows', number, number][];
      /** Each notice's text, when it showed and when it went (performance.now()). */
      notices?: { text: string; shown: number; gone?: number }[];
    };
  }
}

describe('sample app (Chromium)', () => {
  let app: NestExpressApplication;
  let jobs: JobsService;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let pageResponse: Response | null;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    buildClient();
    // Small enough to be quick, large enough that each step arrives on its own.
    process.env.SAMPLE_STEP_MS = '150';
    app = await createSampleApp({ logger: false });
    await app.listen(0, '127.0.0.1');
    jobs = app.get(JobsService);
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: VIEWPORT });
    page = await openPage();
    pageResponse = await page.goto(await app.getUrl());
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await app?.close();
    delete process.env.SAMPLE_STEP_MS;
  });

  /** Steps held by `holdSteps`, released after each test whatever happened. */
  let held: { waiting: number; release(): void } | undefined;

  afterEach(() => {
    held?.release();
    held = undefined;
    expect(pageErrors.splice(0)).toEqual([]);
  });

  /**
   * Makes the sample's jobs wait before each step that `at` picks (steps are numbered 1 to N; the
   * import's by rows), until `release()`: a task held there shows its progress so far, for as
   * long as the test needs. `waiting` counts the steps waiting.
   */
  function holdSteps(at: (step: number) => boolean): NonNullable<typeof held> {
    const gate = new Latch();
    const step = jobs.step.bind(jobs);
    const hold = {
      waiting: 0,
      release() {
        gate.open();
        jobs.step = step;
      },
    };
    jobs.step = async (i, signal) => {
      if (at(i) && !gate.opened) {
        hold.waiting++;
        await gate.promise;
      }
      return step(i, signal);
    };
    return (held = hold);
  }

  /** A new tab whose uncaught errors and console errors (a CSP violation…) fail the test. */
  async function openPage(): Promise<Page> {
    const tab = await context.newPage();
    // Below jest's timeout, so that a failure names what it waited for.
    tab.setDefaultTimeout(10_000);
    tab.on('pageerror', (error) => pageErrors.push(error.message));
    tab.on('console', (message) => {
      if (message.type() === 'error')
        pageErrors.push(`${message.text()} (${message.location().url})`);
    });
    return tab;
  }

  /** Takes the console errors Chromium logs for what `pattern` matches (`status of 403`) as expected. */
  function expectLogged(pattern: RegExp): void {
    const expected = pageErrors.filter((text) => pattern.test(text));
    expect(expected.length).toBeGreaterThan(0);
    pageErrors.splice(0, pageErrors.length, ...pageErrors.filter((t) => !expected.includes(t)));
  }

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

  /** Waits until `selector`'s text is `text`. */
  async function waitForText(selector: string, text: string, on = page): Promise<void> {
    await on.waitForFunction(
      ([sel, expected]) => document.querySelector(sel)?.textContent === expected,
      [selector, text] as const,
    );
  }

  /** The error slot of each card that shows one: `{card id: text}`. */
  function cardErrors(on = page): Promise<Record<string, string>> {
    return on.$$eval('.card-error:not([hidden])', (slots) =>
      Object.fromEntries(slots.map((slot) => [slot.closest('.card')!.id, slot.textContent])),
    );
  }

  /** Records every text of the `#activity` status line from now on, in `sampleSpec.activity`. */
  async function recordActivity(on = page): Promise<void> {
    await on.evaluate(() => {
      const observing = window.sampleSpec !== undefined;
      window.sampleSpec = { bar: [], activity: [] };
      if (observing) return;
      const line = document.querySelector('#activity')!;
      new MutationObserver(() => window.sampleSpec.activity.push(line.textContent)).observe(line, {
        childList: true,
        characterData: true,
        subtree: true,
      });
    });
  }

  /** The chips of the resumable card: the steps the page ran, and ↻ for each reconnect. */
  function resumableChips(on = page): Promise<string[]> {
    return on.$$eval('#resume-steps li', (chips) => chips.map((chip) => chip.textContent));
  }

  /** 1 to RESUMABLE_STEPS as the chips show them. */
  const allSteps = () => Array.from({ length: RESUMABLE_STEPS }, (_, i) => String(i + 1));

  it("serves the page under helmet's default policy, with the CSRF cookie, refusing calls without it", async () => {
    const policy = pageResponse?.headers()['content-security-policy'];
    const defaults = Object.entries(helmet.contentSecurityPolicy.getDefaultDirectives());
    expect(policy).toBe(defaults.map(([name, values]) => [name, ...values].join(' ')).join(';'));
    expect(policy).toContain("script-src 'self';");
    expect(await page.$('meta[http-equiv="Content-Security-Policy"]')).toBeNull();

    const cookies = await context.cookies();
    expect(cookies.find((cookie) => cookie.name === 'sijax_csrf')).toMatchObject({
      sameSite: 'Strict',
      value: expect.stringMatching(/^[\w-]{20,}$/),
    });

    // A same-origin call that does not echo the cookie's token.
    const status = await page.evaluate(async () => {
      const response = await fetch('/sijax', {
        method: 'POST',
        body: new URLSearchParams({ sijax_rq: 'add', sijax_args: '[1, 2]' }),
      });
      return response.status;
    });
    expect(status).toBe(403);
    expectLogged(/status of 403/);
  });

  it('shows the page in the middle of a task: three tasks held half way (screenshot)', async () => {
    // Each task waits before its step past the middle, until the screenshot is taken: the import
    // (whose steps are numbered by rows) before row 30,000, the others before their step 5.
    const rows = 60_000;
    const middle = holdSteps((i) => i === 5 || i === rows / 2);
    // A fresh tab, so that the screenshot shows the demo as a visitor first sees it.
    const tab = await openPage();
    const cdp = await context.newCDPSession(tab);
    try {
      await tab.goto(await app.getUrl());
      let csv = 'name,email\n';
      for (let i = 1; i <= rows; i++) csv += `Person ${i},person${i}@example.com\n`;
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: 0,
        downloadThroughput: -1,
        uploadThroughput: 2 * 1024 * 1024,
      });
      await tab.setInputFiles('#import [name=csv]', {
        name: 'people.csv',
        mimeType: 'text/csv',
        buffer: Buffer.from(csv),
      });
      await tab.click('#import [type=submit]');
      await tab.click('#start');
      await tab.click('#resume-start');
      await until(() => middle.waiting === 3, 20_000, 'the three tasks to reach their middle');
      await tab.waitForFunction(
        ([rowsShown]) =>
          document.querySelector('#rows-progress')!.textContent === rowsShown &&
          document.querySelector('#progress')!.textContent === '4 of 10' &&
          document.querySelector('#resume-progress')!.textContent === '4 of 12',
        [`${0.4 * rows} of ${rows}`] as const,
      );
      expect(await tab.textContent('#upload-progress')).toBe('100%');
      expect(await tab.textContent('#activity')).toBe(
        '3 calls running: import_upload, run, resumable_task',
      );
      mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
      // The bars ease to each new value in 0.2 s (app.css): let the last one finish.
      await tab.waitForTimeout(400);
      await tab.screenshot({ path: SCREENSHOT });
    } finally {
      middle.release();
    }
    await waitForText('#import-status', `Imported ${rows} rows`, tab);
    await waitForText('#status', 'Done', tab);
    await waitForText('#resume-status', 'Done', tab);
    await cdp.detach();
    await tab.close();
  });

  it('streams the progress of the long task, step by step, through compression', async () => {
    await recordActivity();
    await page.evaluate(() => {
      const bar = document.querySelector<HTMLProgressElement>('#bar')!;
      const status = document.querySelector('#status')!;
      new MutationObserver(() => {
        const done = status.textContent === 'Done';
        window.sampleSpec.bar.push({ value: bar.value, done });
      }).observe(document.body, { attributes: true, childList: true, subtree: true });
    });
    const comet = page.waitForResponse(
      (response) =>
        new URL(response.url()).pathname === '/sijax' && response.request().method() === 'POST',
    );
    await page.click('#start');
    // Brotli or gzip, as Chromium asks: either way flushed after every chunk.
    expect((await comet).headers()['content-encoding']).toMatch(/^(br|gzip)$/);
    await waitForText('#status', 'Done');

    const seen = await page.evaluate(() => window.sampleSpec.bar);
    const before = [...new Set(seen.filter((s) => !s.done).map((s) => s.value))];
    // Values seen while the task still ran: intermediate ones, in order.
    expect(before.filter((v) => v > 0 && v < 10).length).toBeGreaterThanOrEqual(3);
    expect(before).toEqual([...before].sort((a, b) => a - b));
    expect(seen[seen.length - 1]).toEqual({ value: 10, done: true });
    expect(await page.textContent('#progress')).toBe('10 of 10');
    expect(await page.isEnabled('#start')).toBe(true);
    expect(await page.isEnabled('#cancel')).toBe(false);
    await waitForText('#activity', 'Idle');
    expect(await page.evaluate(() => window.sampleSpec.activity)).toEqual([
      '1 call running: run',
      'Idle',
    ]);
  });

  it('cancels the long task: the page says Cancelled and the server stops the job', async () => {
    const stepsBefore = jobs.stepsDone;
    const cancelledBefore = jobs.stepsCancelled;
    await page.click('#start');
    await waitForText('#activity', '1 call running: run');
    // Two steps of this run done (the bar still shows the last run's 10 until the first chunk).
    await page.waitForFunction(
      () =>
        document.querySelector('#status')!.textContent === 'Working…' &&
        document.querySelector<HTMLProgressElement>('#bar')!.value >= 2,
    );
    expect(jobs.running).toBe(1);

    await page.click('#cancel');
    await waitForText('#status', 'Cancelled');
    // `sijax:done` ends an aborted call too: the events line is idle again.
    await waitForText('#activity', 'Idle');
    expect(await page.isEnabled('#start')).toBe(true);
    expect(await page.isEnabled('#cancel')).toBe(false);
    expect(await page.$$('iframe')).toHaveLength(0);
    // A cancel is no error: no card shows one.
    expect(await cardErrors()).toEqual({});

    // The handler's `finally` ran: the job has ended, short of its 10 steps, and the step it was
    // in was cut short by `response.signal` rather than run to its end.
    await until(() => jobs.running === 0, 10_000, 'the cancelled job to end');
    expect(jobs.stepsCancelled).toBe(cancelledBefore + 1);
    const stepsAtEnd = jobs.stepsDone;
    expect(stepsAtEnd - stepsBefore).toBeGreaterThanOrEqual(2);
    expect(stepsAtEnd - stepsBefore).toBeLessThan(10);
    const bar = await page.evaluate(
      () => document.querySelector<HTMLProgressElement>('#bar')!.value,
    );

    // A five-step count down takes longer than a step: the cancelled job did none meanwhile.
    await page.click('#countdown');
    await waitForText('#count', 'Liftoff!');
    expect(jobs.stepsDone).toBe(stepsAtEnd + 5);
    expect(
      await page.evaluate(() => document.querySelector<HTMLProgressElement>('#bar')!.value),
    ).toBe(bar);
    expect(await page.textContent('#status')).toBe('Cancelled');
  });

  it('counts the calls running from the sijax:start and sijax:done events', async () => {
    await recordActivity();
    await page.click('#start');
    await page.click('#countdown');
    await waitForText('#status', 'Done');
    await waitForText('#count', 'Liftoff!');
    await waitForText('#activity', 'Idle');

    const seen = await page.evaluate(() => window.sampleSpec.activity);
    expect(seen[0]).toBe('1 call running: run');
    expect(seen[1]).toBe('2 calls running: run, count_down');
    expect(seen[seen.length - 1]).toBe('Idle');
    // The latest events, newest first.
    expect(
      await page.$$eval('#event-log li', (items) => items.map((li) => li.textContent)),
    ).toEqual(expect.arrayContaining(['sijax:done count_down, ok', 'sijax:done run, ok']));
  });

  it('imports a CSV: the upload bar moves as the file goes, then the rows bar as the server counts', async () => {
    const rows = 60_000;
    let csv = 'name,email\n';
    for (let i = 1; i <= rows; i++) csv += `Person ${i},person${i}@example.com\n`;
    // Slow uploads, so that the upload bar has steps to show on a loopback connection.
    const cdp = await context.newCDPSession(page);
    const throttle = (uploadThroughput: number) =>
      cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: 0,
        downloadThroughput: -1,
        uploadThroughput,
      });
    await cdp.send('Network.enable');
    await throttle(2 * 1024 * 1024);
    await recordActivity();
    await page.evaluate(() => {
      const bars = (window.sampleSpec.bars = []) as NonNullable<Window['sampleSpec']['bars']>;
      for (const name of ['upload', 'rows'] as const) {
        const bar = document.querySelector<HTMLProgressElement>(`#${name}-bar`)!;
        new MutationObserver(() => bars.push([name, bar.value, bar.max])).observe(bar, {
          attributes: true,
        });
      }
    });
    await page.setInputFiles('#import [name=csv]', {
      name: 'people.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(csv),
    });
    await page.click('#import [type=submit]');
    await waitForText('#import-status', `Imported ${rows} rows`);
    await throttle(-1);
    await cdp.detach();

    const bars = (await page.evaluate(() => window.sampleSpec.bars))!;
    const upload = bars.filter(([name]) => name === 'upload');
    const uploaded = [...new Set(upload.map(([, value]) => value))].filter((v) => v > 0);
    // Several steps of the upload, in order, up to the whole body (the file and its framing).
    expect(uploaded.length).toBeGreaterThanOrEqual(3);
    expect(uploaded).toEqual([...uploaded].sort((a, b) => a - b));
    const [, last, max] = upload[upload.length - 1];
    expect(last).toBe(max);
    expect(max).toBeGreaterThan(csv.length);
    // The server's bar moves only once the file is in, through values short of the end.
    const firstRow = bars.findIndex(([name, value]) => name === 'rows' && value > 0);
    expect(bars.slice(firstRow).some(([name]) => name === 'upload')).toBe(false);
    const counted = bars.slice(firstRow).map(([, value]) => value);
    expect(counted.filter((v) => v < rows).length).toBeGreaterThanOrEqual(3);
    expect(counted).toEqual([...counted].sort((a, b) => a - b));
    expect(bars[bars.length - 1]).toEqual(['rows', rows, rows]);
    expect(await page.textContent('#rows-progress')).toBe(`${rows} of ${rows}`);
    expect(await page.textContent('#upload-progress')).toBe('100%');
    // resetForm() cleared the file input; the button is back.
    expect(await page.$eval('#import [name=csv]', (el: HTMLInputElement) => el.files!.length)).toBe(
      0,
    );
    expect(await page.isEnabled('#import [type=submit]')).toBe(true);
    await waitForText('#activity', 'Idle');
    expect(await page.evaluate(() => window.sampleSpec.activity)).toEqual([
      '1 call running: import_upload',
      'Idle',
    ]);
  });

  it('says hello in an alert', async () => {
    await page.fill('#hello-name', 'Ann');
    expect(await alertAfterClick('#hello')).toBe('Hello Ann');
  });

  it('counts down with a Comet callback', async () => {
    await page.click('#countdown');
    await waitForText('#count', '3');
    await waitForText('#count', 'Liftoff!');
  });

  it('shows the value a handler returns, and a refused value beside the button until the next try', async () => {
    await page.click('#add');
    await waitForText('#sum', '5');
    await page.fill('#add-a', '40');
    await page.fill('#add-b', '2.5');
    await page.click('#add');
    await waitForText('#sum', '42.5');
    await waitForText('#activity', 'Idle');

    // An empty field is sent as null: the server's 400 shows in the card of the sum.
    await page.fill('#add-a', '');
    await page.click('#add');
    await waitForText('#sum', '?');
    expect(await cardErrors()).toEqual({ 'card-sum': 'Failed (400): a and b must be numbers' });
    expectLogged(/status of 400/);
    await page.fill('#add-a', '1');
    await page.click('#add');
    await waitForText('#sum', '3.5');
    expect(await cardErrors()).toEqual({});
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

  it('shows a custom notify command as a notice, dismissible', async () => {
    await page.selectOption('#notice-level', 'warning');
    await page.click('#notice');
    await page.waitForSelector('#notices li');
    expect(
      await page.$$eval('#notices li', (items) =>
        items.map((li) => ({
          text: li.querySelector('.notice-text')!.textContent,
          className: li.className,
        })),
      ),
    ).toEqual([{ text: 'A notice from the server (warning)', className: 'notice notice-warning' }]);

    await page.click('#notices li button');
    expect(await page.$$('#notices li')).toHaveLength(0);
  });

  it('keeps notices over no control, at any scroll and on a phone, and lets them expire', async () => {
    // Every notice, from when it showed to when it went.
    await page.evaluate(() => {
      const notices = (window.sampleSpec.notices = []) as NonNullable<
        Window['sampleSpec']['notices']
      >;
      new MutationObserver((records) => {
        for (const record of records) {
          for (const node of Array.from(record.addedNodes))
            notices.push({ text: node.textContent!, shown: performance.now() });
          for (const node of Array.from(record.removedNodes))
            notices.find((n) => n.text === node.textContent && !n.gone)!.gone = performance.now();
        }
      }).observe(document.querySelector('#notices')!, { childList: true });
    });
    for (const level of ['info', 'success', 'warning']) {
      await page.selectOption('#notice-level', level);
      await page.click('#notice');
      await page.waitForSelector(`#notices .notice-${level}`);
    }

    /**
     * Where a notice covers anything of the page: every element of <main>, as far as it shows
     * (main scrolls, and clips what is scrolled out), against every notice's box. And a hit test:
     * the middle of each control in view is the control itself, not something over it.
     */
    const covered = () =>
      page.evaluate(() => {
        type Box = { left: number; top: number; right: number; bottom: number };
        const overlap = (a: Box, b: Box): Box | undefined => {
          const box = {
            left: Math.max(a.left, b.left),
            top: Math.max(a.top, b.top),
            right: Math.min(a.right, b.right),
            bottom: Math.min(a.bottom, b.bottom),
          };
          return box.left < box.right && box.top < box.bottom ? box : undefined;
        };
        const name = (el: Element) => el.tagName.toLowerCase() + (el.id ? `#${el.id}` : '');
        const main = document.querySelector('main')!;
        const view = main.getBoundingClientRect();
        const notices = Array.from(document.querySelectorAll('#notices li')).map((li) =>
          li.getBoundingClientRect(),
        );
        const found: string[] = [];
        if (notices.length === 0) found.push('no notice to check');
        for (const el of Array.from(main.querySelectorAll('*'))) {
          const shown = overlap(el.getBoundingClientRect(), view);
          if (shown && notices.some((notice) => overlap(shown, notice))) found.push(name(el));
        }
        for (const control of Array.from(
          main.querySelectorAll('button, input, select, a, progress'),
        )) {
          const box = control.getBoundingClientRect();
          if (box.width < 2 || box.top < view.top || box.bottom > view.bottom) continue;
          const hit = document.elementFromPoint(
            (box.left + box.right) / 2,
            (box.top + box.bottom) / 2,
          );
          if (!hit || !control.contains(hit))
            found.push(`${name(control)} under ${hit && name(hit)}`);
        }
        return found;
      });
    /** `covered()` with <main> scrolled to its top, its middle and its end. */
    const coveredAtAnyScroll = async () => {
      const found: string[] = [];
      for (const at of [0, 0.5, 1]) {
        await page.evaluate((at) => {
          const main = document.querySelector('main')!;
          main.scrollTop = at * (main.scrollHeight - main.clientHeight);
        }, at);
        found.push(...(await covered()));
      }
      return found;
    };

    expect(await page.$$('#notices li')).toHaveLength(3);
    expect(await coveredAtAnyScroll()).toEqual([]);
    await page.setViewportSize(PHONE);
    expect(await coveredAtAnyScroll()).toEqual([]);
    await page.setViewportSize(VIEWPORT);
    // The tray holds them: the top bar, which <main> never scrolls under.
    const tray = (await page.locator('.tray').boundingBox())!;
    expect((await page.locator('main').boundingBox())!.y).toBeGreaterThanOrEqual(
      tray.y + tray.height,
    );

    // A few seconds each, then gone by itself; the one pointed at waits, then goes too.
    await page.hover('#notices .notice-warning .notice-text');
    await page.waitForFunction(() => document.querySelectorAll('#notices li').length === 1);
    expect(await page.textContent('#notices li')).toContain('(warning)');
    await page.mouse.move(0, VIEWPORT.height - 1);
    await page.waitForFunction(() => document.querySelectorAll('#notices li').length === 0);
    const notices = (await page.evaluate(() => window.sampleSpec.notices))!;
    expect(notices.map((n) => n.text)).toEqual([
      expect.stringContaining('(info)'),
      expect.stringContaining('(success)'),
      expect.stringContaining('(warning)'),
    ]);
    for (const { shown, gone } of notices.slice(0, 2)) {
      expect(gone! - shown).toBeGreaterThan(4500);
      expect(gone! - shown).toBeLessThan(6500);
    }
    const [, second, hovered] = notices;
    expect(hovered.gone!).toBeGreaterThan(second.gone! + 2000);
    await page.evaluate(() => document.querySelector('main')!.scrollTo(0, 0));
  });

  it('shows the steps of a failing task, then its error in its own card, and keeps working', async () => {
    await recordActivity();
    await page.evaluate(() => {
      document.addEventListener('sijax:error', () => {
        window.sampleSpec.stepsAtError = document.querySelectorAll('#fail-log li').length;
      });
    });
    await page.click('#fail');
    await page.waitForSelector('#card-fail .card-error:not([hidden])');
    // Wait for the call to end: the rejected handle must not add a second message.
    await page.waitForFunction(() => !document.querySelector<HTMLButtonElement>('#fail')!.disabled);

    expect(await page.evaluate(() => window.sampleSpec.stepsAtError)).toBe(3);
    expect(await page.$$eval('#fail-log li', (items) => items.map((li) => li.textContent))).toEqual(
      ['Step 1 done', 'Step 2 done', 'Step 3 done'],
    );
    // Beside the button that failed, and nowhere else.
    expect(await cardErrors()).toEqual({ 'card-fail': 'Failed (500): Internal server error' });
    const slot = (await page.locator('#card-fail .card-error').boundingBox())!;
    const button = (await page.locator('#fail').boundingBox())!;
    expect(slot.y - (button.y + button.height)).toBeLessThan(40);
    // The error event ended the call on the status line; the log says how it ended.
    expect(await page.evaluate(() => window.sampleSpec.activity)).toEqual([
      '1 call running: failing',
      'Idle',
    ]);
    expect(
      await page.$$eval('#event-log li', (items) => items.slice(0, 2).map((li) => li.textContent)),
    ).toEqual(['sijax:done failing, failed', 'sijax:error failing: Internal server error']);

    // The next try clears the error at once; it fails again, as it always does.
    await page.click('#fail');
    expect(await cardErrors()).toEqual({});
    await page.waitForSelector('#fail-log li');
    await page.waitForSelector('#card-fail .card-error:not([hidden])');
    await page.waitForFunction(() => !document.querySelector<HTMLButtonElement>('#fail')!.disabled);

    await page.fill('#hello-name', 'again');
    expect(await alertAfterClick('#hello')).toBe('Hello again');
  });

  it('refuses the guarded task with 403 in its card until the admin box is ticked', async () => {
    const stepsBefore = jobs.stepsDone;
    await page.click('#admin-task');
    await page.waitForSelector('#card-admin .card-error:not([hidden])');
    expect(await cardErrors()).toMatchObject({
      'card-admin': 'Refused (403): Admins only: tick "I am an admin" first',
    });
    expect(await page.textContent('#admin-result')).toBe('');
    await waitForText('#activity', 'Idle');
    expect(jobs.stepsDone).toBe(stepsBefore); // the handler never ran
    expectLogged(/status of 403/);

    await page.check('#admin');
    await page.click('#admin-task');
    await waitForText('#admin-result', 'Index rebuilt');
    expect(jobs.stepsDone).toBe(stepsBefore + 3);
    expect(await cardErrors()).not.toHaveProperty('card-admin');
    await waitForText('#activity', 'Idle');
  });

  it('runs the resumable task over fetch: a dropped connection reconnects, each step shows once', async () => {
    const stepsBefore = jobs.stepsDone;
    await recordActivity();
    const stream = page.waitForRequest(
      (request) =>
        new URL(request.url()).pathname === '/sijax' &&
        request.headers()['accept'] === 'text/event-stream',
    );
    // The task waits before step 4 until the page has seen the cut: the drop falls mid-task.
    const hold = holdSteps((i) => i === 4);
    await page.click('#resume-start');
    expect((await stream).postData()).toContain('sijax_rq=resumable_task');
    await until(() => hold.waiting === 1, 10_000, 'step 4');
    await waitForText('#resume-progress', `3 of ${RESUMABLE_STEPS}`);
    await page.click('#resume-drop');
    await waitForText('#resume-reconnects', '1 reconnect');
    // Step 4 may well be done before the page is back: the log keeps it for the reconnect.
    hold.release();
    await waitForText('#resume-status', 'Done');

    const chips = await resumableChips();
    expect(chips.filter((chip) => chip !== '↻')).toEqual(allSteps());
    expect(chips.filter((chip) => chip === '↻')).toHaveLength(1);
    // Cut after step 3.
    expect(chips.indexOf('↻')).toBe(3);
    expect(await page.textContent('#resume-progress')).toBe(
      `${RESUMABLE_STEPS} of ${RESUMABLE_STEPS}`,
    );
    expect(
      await page.$$eval('#event-log li', (items) => items.map((li) => li.textContent)),
    ).toEqual(
      expect.arrayContaining([expect.stringMatching(/^sijax:reconnect resumable_task, try 1/)]),
    );
    // The handler ran once: its steps, no more.
    expect(jobs.stepsDone - stepsBefore).toBe(RESUMABLE_STEPS);
    expect(await page.isEnabled('#resume-start')).toBe(true);
    expect(await page.isEnabled('#resume-drop')).toBe(false);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(await cardErrors()).not.toHaveProperty('card-resume');
    await waitForText('#activity', 'Idle');
    expect(await page.evaluate(() => window.sampleSpec.activity)).toEqual([
      '1 call running: resumable_task',
      '2 calls running: resumable_task, drop_connection',
      '1 call running: resumable_task',
      'Idle',
    ]);
    // The dropped stream, as Chromium reports any connection lost mid-answer.
    expectLogged(/ERR_INCOMPLETE_CHUNKED_ENCODING|ERR_CONNECTION/);
  });

  it('picks the resumable task up after a reload: Sijax.attach follows it to its end, each step once', async () => {
    const stepsBefore = jobs.stepsDone;
    // The task waits before step 4 until the new page has attached: it is running then.
    const hold = holdSteps((i) => i === 4);
    await page.click('#resume-start');
    await until(() => hold.waiting === 1, 10_000, 'step 4');
    await waitForText('#resume-progress', `3 of ${RESUMABLE_STEPS}`);
    const callId = await page.evaluate(() => sessionStorage.getItem('sample.resumable-call'));
    expect(callId).toMatch(/^[\w-]{22}$/);

    const attach = page.waitForRequest(
      (request) =>
        new URL(request.url()).pathname === '/sijax' &&
        (request.postData() ?? '').includes('sijax_attach'),
    );
    await page.reload();
    // The new page found the call's id and attached to it.
    expect(new URLSearchParams((await attach).postData()!).get('sijax_attach')).toBe(callId);
    expect(await page.textContent('#resume-call')).toMatch(/^Attached after a reload: call /);
    expect(await page.isEnabled('#resume-cancel')).toBe(true);
    // The replay of steps 1 to 3 came; the rest follow live.
    await waitForText('#resume-progress', `3 of ${RESUMABLE_STEPS}`);
    hold.release();
    await waitForText('#resume-status', 'Done');

    // The replay and the live batches, each run once on the new page.
    expect(await resumableChips()).toEqual(allSteps());
    expect(
      await page.evaluate(() => document.querySelector<HTMLProgressElement>('#resume-bar')!.value),
    ).toBe(RESUMABLE_STEPS);
    // One run on the server: the reload did not start the task again.
    expect(jobs.stepsDone - stepsBefore).toBe(RESUMABLE_STEPS);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(await page.isEnabled('#resume-start')).toBe(true);
    expect(await cardErrors()).toEqual({});
    await waitForText('#activity', 'Idle');
  });

  it('cancels the resumable task: the server stops it at once', async () => {
    const cancelledBefore = jobs.stepsCancelled;
    await page.click('#resume-start');
    await page.waitForFunction(() => document.querySelectorAll('#resume-steps li').length >= 2);
    await page.click('#resume-cancel');
    await waitForText('#resume-status', 'Cancelled');
    await until(() => jobs.stepsCancelled === cancelledBefore + 1, 5000, 'the cancel to arrive');
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(await cardErrors()).toEqual({});
    await waitForText('#activity', 'Idle');
  });
});
