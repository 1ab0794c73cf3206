/// <reference lib="dom" />
import { Controller, Get, Header, Param, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { existsSync, readFileSync } from 'fs';
import { join, resolve } from 'path';
import type { Browser, Page } from 'playwright-core';
import { uploadFormScript } from '../../lib';
import { FAILURE_ALERT, INVALID_REQUEST_ALERT } from '../../lib/sijax.messages';
import { RefuseWhenAsked, UploadHandlers, UploadProbe } from '../fixtures/upload-handlers';
import { testAppModule } from '../fixtures/test-app.module';
import { baseUrl } from '../utils/http-client';
import { launchBrowser } from '../utils/browser';
import { until } from '../utils/latch';

/**
 * The original Sijax 0.3.2 jQuery client, unchanged, from the shared conformance fixture (never
 * copied into the project): pages written for the original must work against this server.
 */
const ORIGINAL_CLIENT = resolve(
  process.env.SIJAX_ORIGINAL_CLIENT ??
    join(__dirname, '..', '..', '..', 'shared', 'reference', 'original-client'),
);
const JQUERY = join(__dirname, '..', '..', 'node_modules', 'jquery', 'dist', 'jquery.min.js');

function script(file: string): string {
  if (!existsSync(file)) throw new Error(`${file} not found (set SIJAX_ORIGINAL_CLIENT)`);
  return readFileSync(file, 'utf8');
}

/** A page as the original's users wrote them: jQuery, sijax.js, sijax_comet.js, the request URI. */
@Controller('original')
class OriginalPageController {
  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  page() {
    return (
      '<!doctype html><meta charset="utf-8"><div id="out">-</div><div id="step">-</div>' +
      '<script src="/original/js/jquery.js"></script><script src="/original/js/sijax.js"></script>' +
      '<script src="/original/js/sijax_comet.js"></script>' +
      '<script>Sijax.setRequestUri("/sijax");</script>'
    );
  }

  /** A form registered with the Upload plugin, by the script `uploadFormScript()` makes. */
  @Get('upload')
  @Header('Content-Type', 'text/html; charset=utf-8')
  uploadPage() {
    return (
      '<!doctype html><meta charset="utf-8"><div id="status">-</div>' +
      '<form id="photos"><input name="title" value="Untitled"><input type="file" name="photo">' +
      '<button type="submit">Send</button></form>' +
      '<script src="/original/js/jquery.js"></script><script src="/original/js/sijax.js"></script>' +
      '<script src="/original/js/sijax_upload.js"></script>' +
      '<script>Sijax.setRequestUri("/sijax");</script>' +
      `<script>${uploadFormScript('photos')}</script>`
    );
  }

  @Get('js/:file')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  js(@Param('file') file: string) {
    if (file === 'jquery.js') return script(JQUERY);
    if (['sijax.js', 'sijax_comet.js', 'sijax_upload.js'].includes(file))
      return script(join(ORIGINAL_CLIENT, file));
    return '';
  }
}

describe('The original Sijax jQuery client (Chromium)', () => {
  let app: INestApplication;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const alerts: string[] = [];

  beforeAll(async () => {
    // Served lazily by the page's controller, where a missing file would only show as a page
    // error: said here, once, plainly.
    for (const file of ['sijax.js', 'sijax_comet.js', 'sijax_upload.js']) {
      script(join(ORIGINAL_CLIENT, file));
    }
    script(JQUERY);
    const moduleRef = await Test.createTestingModule({
      imports: [
        testAppModule(
          {},
          {
            controllers: [OriginalPageController],
            providers: [UploadProbe, UploadHandlers, RefuseWhenAsked],
          },
        ),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ forceCloseConnections: true, logger: false });
    await app.listen(0, '127.0.0.1');
    browser = await launchBrowser();
    page = await browser.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('dialog', (dialog) => {
      alerts.push(dialog.message());
      void dialog.dismiss();
    });
    await page.goto(`${baseUrl(app)}/original`);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  beforeEach(() => {
    pageErrors.length = 0;
    alerts.length = 0;
  });

  /** Runs `start` in the page and waits until `done` holds there. */
  async function run(start: string, done: string): Promise<void> {
    await page.evaluate(start);
    await page.waitForFunction(done, undefined, { timeout: 10_000 });
  }

  it('runs a regular call whose handler returns a value, with no return command to trip on', async () => {
    await page.evaluate(() => {
      (window as unknown as { answered: unknown }).answered = undefined;
    });
    // Sijax.request takes jQuery.ajax options: `complete` tells the test the call is over.
    await run(
      "Sijax.request('answer', [], { complete: function (xhr) { window.answered = xhr.responseText; } })",
      'window.answered !== undefined',
    );
    const body = await page.evaluate(() => (window as unknown as { answered: string }).answered);
    expect(JSON.parse(body)).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('reports a failing regular call with an alert, the way the original reports problems', async () => {
    await page.evaluate("Sijax.request('throws')");
    await until(() => alerts.length > 0, 10_000, 'the alert');
    expect(alerts).toEqual([FAILURE_ALERT('Internal server error')]);
    expect(pageErrors).toEqual([]);
  });

  it('streams a Comet call through its iframe, a return value included, with no page error', async () => {
    await run(
      "sjxComet.request('asyncFunction', ['four'])",
      "document.getElementById('out').textContent === 'four'",
    );
    // The iframe is removed once its document has loaded: the whole stream ran.
    await page.waitForFunction(() => document.querySelectorAll('iframe').length === 0);
    expect(pageErrors).toEqual([]);
  });

  it('reports a Comet call that fails midway with an alert after the batches it sent', async () => {
    await run(
      "sjxComet.request('failAfter', [2])",
      "document.querySelectorAll('iframe').length === 0",
    );
    expect(alerts).toEqual([FAILURE_ALERT('Internal server error')]);
    expect(await page.textContent('#step')).toBe('1');
    expect(pageErrors).toEqual([]);
  });

  it('shows the original alert for an unknown Comet function', async () => {
    await run(
      "sjxComet.request('no_such_function')",
      "document.querySelectorAll('iframe').length === 0",
    );
    expect(alerts).toEqual([INVALID_REQUEST_ALERT]);
    expect(pageErrors).toEqual([]);
  });

  it("uploads a form through the Upload plugin's iframe: the batches run, resetForm() resets it", async () => {
    const probe = app.get(UploadProbe);
    probe.reset();
    const uploadPage = await browser.newPage();
    const errors: string[] = [];
    uploadPage.on('pageerror', (error) => errors.push(error.message));
    uploadPage.on('dialog', (dialog) => {
      alerts.push(dialog.message());
      void dialog.dismiss();
    });
    const url = `${baseUrl(app)}/original/upload`;
    await uploadPage.goto(url);
    // registerForm made the form post into its iframe, to the upload URL.
    expect(
      await uploadPage.$eval('#photos', (form: HTMLFormElement) => ({
        target: form.target,
        action: new URL(form.action).pathname + new URL(form.action).search,
        enctype: form.enctype,
      })),
    ).toEqual({
      target: 'sjxUpload_iframe_photos',
      action: '/sijax?sijax_rq=photos_upload',
      enctype: 'multipart/form-data',
    });
    await uploadPage.fill('#photos [name=title]', 'Holiday');
    await uploadPage.setInputFiles('#photos [name=photo]', {
      name: 'one.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('first file'),
    });
    const answer = uploadPage.waitForResponse(
      (response) => new URL(response.url()).pathname === '/sijax',
    );
    await uploadPage.click('#photos [type=submit]');
    // The handler's html command, then its resetForm() call, ran in the page.
    await uploadPage.waitForFunction(
      () =>
        document.getElementById('status')!.textContent === 'processed one.txt' &&
        document.querySelector<HTMLInputElement>('#photos [name=title]')!.value === 'Untitled',
    );
    expect((await answer).headers()['content-type']).toMatch(/^text\/html/);
    expect(probe.values).toEqual({ title: 'Holiday' });
    expect(probe.files.map(({ name, text }) => [name, text])).toEqual([['one.txt', 'first file']]);
    expect(
      await uploadPage.$eval(
        '#photos [name=photo]',
        (input: HTMLInputElement) => input.files!.length,
      ),
    ).toBe(0);
    // Reset, and prepared again for the next upload.
    expect(await uploadPage.inputValue('#photos [name=sijax_rq]')).toBe('photos_upload');
    expect(uploadPage.url()).toBe(url);
    expect(errors).toEqual([]);
    expect(alerts).toEqual([]);
    await uploadPage.close();
  });
});
