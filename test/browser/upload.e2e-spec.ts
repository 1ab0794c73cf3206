/// <reference lib="dom" />
import { Controller, Get, Header, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'fs';
import helmet from 'helmet';
import type { Server } from 'http';
import type { Socket } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { RefuseWhenAsked, UploadHandlers, UploadProbe } from '../fixtures/upload-handlers';
import { testAppModule } from '../fixtures/test-app.module';
import { buildClient, launchBrowser } from '../utils/browser';
import { baseUrl } from '../utils/http-client';
import { until } from '../utils/latch';

const MiB = 1024 * 1024;
const BIG = 20 * MiB;

/** A page without inline scripts: forms for `Sijax.upload()`, and one that uploads itself. */
@Controller()
class PageController {
  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  page() {
    return (
      '<!doctype html><meta charset="utf-8"><div id="status">-</div>' +
      '<form id="steps"><input name="note" value="big one"><input type="file" name="file"></form>' +
      '<form id="photos" data-sijax-upload><input name="title" value="Untitled">' +
      '<input type="file" name="photo" multiple><button type="submit">Send</button></form>' +
      '<script src="/sijax/sijax.js"></script>'
    );
  }

  /** The same page, with an `sjxUpload` defined before the client (as `sijax_upload.js` does). */
  @Get('with-original')
  @Header('Content-Type', 'text/html; charset=utf-8')
  withOriginal() {
    return this.page().replace('<script src', '<script src="/original-upload.js"></script>$&');
  }

  @Get('original-upload.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  originalUpload() {
    return 'var sjxUpload = { resetForm: function (id) { window.resetBy = "original " + id; } };';
  }
}

interface Recorded {
  /** `onUploadProgress`'s values, and the `sijax:upload-progress` events'. */
  progress: [number, number][];
  events: { call: string; id: string; loaded: number; total: number }[];
  /** The html of each command that ran. */
  seen: string[];
  outcome?: Promise<{ value?: unknown; error?: { name: string; status: number } }>;
  call?: { abort(): void; id: string };
}

declare global {
  interface Window {
    upload: Recorded;
  }
}

describe('Upload calls from the bundled client (Chromium)', () => {
  let app: INestApplication;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let probe: UploadProbe;
  /** The module's `upload.tmpDir`, one per test; and where the test's own files are made. */
  let spool: string;
  let files: string;
  const sockets = new Set<Socket>();
  const violations: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    buildClient();
    browser = await launchBrowser();
    files = mkdtempSync(join(tmpdir(), 'sijax-browser-files-'));
    writeFileSync(join(files, 'big.bin'), Buffer.alloc(BIG, 'x'));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    rmSync(files, { recursive: true, force: true });
  });

  beforeEach(async () => {
    spool = mkdtempSync(join(tmpdir(), 'sijax-browser-spool-'));
    const moduleRef = await Test.createTestingModule({
      imports: [
        testAppModule(
          { upload: { tmpDir: spool } },
          {
            controllers: [PageController],
            providers: [UploadProbe, UploadHandlers, RefuseWhenAsked],
          },
        ),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ forceCloseConnections: true, logger: false });
    app.use(helmet());
    await app.listen(0, '127.0.0.1');
    (app.getHttpServer() as Server).on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    probe = app.get(UploadProbe);
    probe.reset();
    context = await browser.newContext();
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/.test(message.text()))
        violations.push(message.text());
    });
    await page.goto(baseUrl(app));
    await page.evaluate(() => {
      window.upload = { progress: [], events: [], seen: [] };
      document.addEventListener('sijax:upload-progress', (event) => {
        window.upload.events.push((event as CustomEvent<Recorded['events'][number]>).detail);
      });
    });
  });

  afterEach(async () => {
    probe.openAll();
    await context.close();
    await app.close();
    rmSync(spool, { recursive: true, force: true });
    expect(violations.splice(0)).toEqual([]);
    expect(pageErrors.splice(0)).toEqual([]);
  });

  /** Slows the page's uploads to `bytesPerSecond`, so that progress has steps to show. */
  async function throttleUploads(bytesPerSecond: number): Promise<void> {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: bytesPerSecond,
    });
  }

  /** Starts `Sijax.upload(selector)` in the page, recording its progress, commands and outcome. */
  async function startUpload(selector: string): Promise<void> {
    await page.evaluate((selector) => {
      const recorded = window.upload;
      const call = window.Sijax.upload(selector, {
        onUploadProgress: ({ loaded, total }) => void recorded.progress.push([loaded, total]),
        onCommand: (command) => {
          if (command.type === 'html') recorded.seen.push(String(command.html));
        },
        onError: () => false,
      });
      recorded.call = call;
      recorded.outcome = call.then(
        (value) => ({ value }),
        (error: Error & { status: number }) => ({
          error: { name: error.name, status: error.status },
        }),
      );
    }, selector);
  }

  const outcome = () => page.evaluate(() => window.upload.outcome);
  const recorded = () => page.evaluate(() => window.upload);
  const spooled = () => readdirSync(spool);

  it('shows the upload progress, then each batch of the handler as it comes, then its return value', async () => {
    await throttleUploads(20 * MiB);
    await page.setInputFiles('#steps input[type=file]', join(files, 'big.bin'));
    await startUpload('#steps');

    // The handler runs once the whole body is in, and waits for the first latch.
    await until(() => probe.runs === 1, 20_000, 'the handler to start');
    expect(probe.files).toEqual([expect.objectContaining({ name: 'big.bin', size: BIG })]);
    expect(probe.values).toEqual({ note: 'big one' });
    await page.waitForFunction(() => {
      const last = window.upload.progress.at(-1);
      return last !== undefined && last[0] === last[1];
    });
    const { progress, events, call } = await recorded();
    const loaded = progress.map(([bytes]) => bytes);
    const total = progress[0][1];
    // The body: the file, its fields and the multipart framing.
    expect(total).toBeGreaterThan(BIG);
    expect(total).toBeLessThan(BIG + 4096);
    expect(progress.every(([, all]) => all === total)).toBe(true);
    expect(new Set(loaded).size).toBeGreaterThanOrEqual(4);
    expect(loaded).toEqual([...loaded].sort((a, b) => a - b));
    expect(loaded.at(-1)).toBe(total);
    expect(events).toEqual(
      progress.map(([bytes]) => ({ call: 'steps_upload', id: call!.id, loaded: bytes, total })),
    );

    // Nothing comes before its latch opens; each batch shows in the page before the next one.
    for (let i = 1; i <= 3; i++) {
      expect((await recorded()).seen).toHaveLength(i - 1);
      probe.step(i).open();
      await page.waitForFunction((n) => window.upload.seen.length === n, i);
      expect(await page.textContent('#status')).toBe(`step ${i} of 3`);
    }
    expect(await outcome()).toEqual({ value: BIG });
    expect((await recorded()).seen).toEqual(['step 1 of 3', 'step 2 of 3', 'step 3 of 3']);
    await until(() => spooled().length === 0, 5000, 'the spooled file to go');
  });

  it('abort() mid-upload rejects with AbortError; the handler never runs and no file is left', async () => {
    await throttleUploads(4 * MiB);
    await page.setInputFiles('#steps input[type=file]', join(files, 'big.bin'));
    await startUpload('#steps');
    // Part of the file is on the server's disk, and the page knows some of it went.
    await until(
      () => spooled().some((name) => statSync(join(spool, name)).size > 0),
      10_000,
      'part of the file to be spooled',
    );
    await page.waitForFunction(() => window.upload.progress.length > 0);
    await page.evaluate(() => window.upload.call!.abort());
    expect(await outcome()).toEqual({ error: { name: 'AbortError', status: 0 } });
    const { progress } = await recorded();
    expect(progress.at(-1)![0]).toBeLessThan(progress.at(-1)![1]);
    await until(() => spooled().length === 0, 5000, 'the partial file to go');
    expect(probe.runs).toBe(0);
  });

  it('abort() while the handler runs cancels it on the server and removes the file', async () => {
    await page.setInputFiles('#steps input[type=file]', {
      name: 'small.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('small'),
    });
    await startUpload('#steps');
    await until(() => probe.runs === 1, 5000, 'the handler to start');
    expect(spooled()).toHaveLength(1);
    await page.evaluate(() => window.upload.call!.abort());
    expect(await outcome()).toEqual({ error: { name: 'AbortError', status: 0 } });
    await until(() => probe.signal?.aborted === true, 5000, 'the cancel');
    probe.step(1).open();
    await until(() => probe.finallyRan && spooled().length === 0, 5000, 'the file to go');
    expect((await recorded()).seen).toEqual([]);
  });

  it('rejects with StreamCutError when the stream is cut before its end; the handler is cancelled', async () => {
    await page.setInputFiles('#steps input[type=file]', {
      name: 'small.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('small'),
    });
    await startUpload('#steps');
    probe.step(1).open();
    await page.waitForFunction(() => window.upload.seen.length === 1);
    for (const socket of sockets) socket.destroy();
    expect(await outcome()).toEqual({ error: { name: 'StreamCutError', status: 0 } });
    await until(() => probe.signal?.aborted === true, 5000, 'the cancel');
    probe.step(2).open();
    await until(() => probe.finallyRan && spooled().length === 0, 5000, 'the file to go');
    expect((await recorded()).seen).toEqual(['step 1 of 3']);
  });

  it("rejects a refused upload with its error command's name and status, mid-body", async () => {
    // The guard refuses before the body is read: the answer comes while the file still goes.
    probe.refuse = true;
    await page.setInputFiles('#photos input[type=file]', join(files, 'big.bin'));
    await startUpload('#photos');
    expect(await outcome()).toEqual({ error: { name: 'ForbiddenException', status: 403 } });
    expect(probe.runs).toBe(0);
    expect(spooled()).toEqual([]);
  });

  it('uploads a <form data-sijax-upload> on submit, with no inline script, and resets it', async () => {
    const url = page.url();
    await page.evaluate(() => {
      document.addEventListener('sijax:done', (event) => {
        const { value, error } = (event as CustomEvent<{ value: unknown; error?: Error }>).detail;
        window.upload.outcome = Promise.resolve(
          error ? { error: { name: error.name, status: 0 } } : { value },
        );
      });
    });
    await page.fill('#photos [name=title]', 'Holiday');
    await page.setInputFiles('#photos input[type=file]', [
      { name: 'one.txt', mimeType: 'text/plain', buffer: Buffer.from('first file') },
      { name: 'two.txt', mimeType: 'text/csv', buffer: Buffer.from('second,file') },
    ]);
    await page.click('#photos [type=submit]');
    await page.waitForFunction(() => window.upload.outcome !== undefined);
    expect(await outcome()).toEqual({ value: 21 });
    expect(await page.textContent('#status')).toBe('processed two.txt');
    expect(probe.values).toEqual({ title: 'Holiday' });
    expect(probe.files.map(({ name, text }) => [name, text])).toEqual([
      ['one.txt', 'first file'],
      ['two.txt', 'second,file'],
    ]);
    // `response.resetForm()` ran the client's `sjxUpload.resetForm('photos')`.
    expect(await page.inputValue('#photos [name=title]')).toBe('Untitled');
    expect(
      await page.$eval('#photos input[type=file]', (el: HTMLInputElement) => el.files!.length),
    ).toBe(0);
    expect(page.url()).toBe(url);
    expect(await page.$$('iframe')).toHaveLength(0);
  });

  it("leaves the original plugin's sjxUpload in place when the page loaded it", async () => {
    await page.goto(`${baseUrl(app)}/with-original`);
    await page.evaluate(() => (window.upload = { progress: [], events: [], seen: [] }));
    await page.setInputFiles('#photos input[type=file]', {
      name: 'one.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('first file'),
    });
    await startUpload('#photos');
    expect(await outcome()).toEqual({ value: 10 });
    expect(await page.evaluate(() => (window as unknown as { resetBy: string }).resetBy)).toBe(
      'original photos',
    );
  });
});
