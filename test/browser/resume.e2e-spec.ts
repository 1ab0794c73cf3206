/// <reference lib="dom" />
import { Controller, Get, Header, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Server } from 'http';
import type { Socket } from 'net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ResumableHandlers, ResumeProbe, TagGuard } from '../fixtures/resumable-handlers';
import { testAppModule } from '../fixtures/test-app.module';
import { buildClient, launchBrowser } from '../utils/browser';
import { baseUrl } from '../utils/http-client';
import { until } from '../utils/latch';

@Controller()
class PageController {
  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  page() {
    return '<!doctype html><meta charset="utf-8"><div id="progress">-</div><script src="/sijax/sijax.js"></script>';
  }
}

declare global {
  interface Window {
    seen: string[];
    reconnects: number;
    outcome?: unknown;
  }
}

describe.each(['fetch', 'iframe'] as const)('A resumable call over %s in Chromium', (transport) => {
  let app: INestApplication;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let probe: ResumeProbe;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    buildClient();
    const moduleRef = await Test.createTestingModule({
      imports: [
        // Short heartbeats: a page notices a silently dropped iframe stream after three of them.
        testAppModule(
          { heartbeatMs: 200 },
          { controllers: [PageController], providers: [ResumeProbe, ResumableHandlers, TagGuard] },
        ),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ forceCloseConnections: true, logger: false });
    await app.listen(0, '127.0.0.1');
    probe = app.get(ResumeProbe);
    (app.getHttpServer() as Server).on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    browser = await launchBrowser();
  }, 60_000);

  beforeEach(async () => {
    context = await browser.newContext();
    page = await context.newPage();
    await page.goto(baseUrl(app));
    // Every #progress value the page shows, in order: each step must show exactly once.
    await page.evaluate(() => {
      window.seen = [];
      window.reconnects = 0;
      const options = {
        onCommand: (c: { html?: unknown }) => void window.seen.push(String(c.html)),
      };
      (window as unknown as { options: unknown }).options = options;
      document.addEventListener('sijax:reconnect', () => window.reconnects++);
    });
  });

  afterEach(() => context.close());

  afterAll(async () => {
    probe?.openAll();
    await browser?.close();
    await app?.close();
  });

  it('goes offline for a moment mid-task and still shows every step exactly once', async () => {
    const tag = `browser-offline-${transport}`;
    await page.evaluate(
      ([tag, transport]) => {
        const { options } = window as unknown as { options: object };
        void window.sjxComet.request('resumableProgress', [tag, 6], { ...options, transport }).then(
          (value) => (window.outcome = value),
          (e: Error) => (window.outcome = e.name),
        );
      },
      [tag, transport] as const,
    );
    probe.latch(tag, 1).open();
    await page.waitForFunction(() => window.seen.length === 2);
    // The network goes away: the connection drops and, for a while, no new one can be made.
    await context.setOffline(true);
    for (const socket of sockets) socket.destroy();
    // Steps 3 and 4 happen while the page is offline; the server keeps them in the log.
    probe.latch(tag, 2).open();
    probe.latch(tag, 3).open();
    await until(() => probe.steps.get(tag) === 4, 5000, 'steps 3 and 4');
    await page.waitForFunction(() => window.reconnects > 0, undefined, { timeout: 5000 });
    await context.setOffline(false);
    probe.latch(tag, 4).open();
    probe.latch(tag, 5).open();
    await page.waitForFunction(() => window.outcome !== undefined, undefined, { timeout: 20_000 });
    const { seen, outcome } = await page.evaluate(() => ({
      seen: window.seen,
      outcome: window.outcome,
    }));
    expect(seen).toEqual(['1 of 6', '2 of 6', '3 of 6', '4 of 6', '5 of 6', '6 of 6', 'undefined']);
    expect(outcome).toBe(6);
    expect(probe.runs.get(tag)).toBe(1);
  });

  it('attaches from a second page to a running call and follows it to its end', async () => {
    const tag = `browser-attach-${transport}`;
    const callId = await page.evaluate(
      ([tag, transport]) =>
        window.sjxComet.request('resumableProgress', [tag, 3], { transport }).id,
      [tag, transport] as const,
    );
    await until(() => probe.steps.get(tag) === 1, 5000, 'step 1');
    const second = await context.newPage();
    await second.goto(baseUrl(app));
    const attached = second.evaluate(
      ([callId, transport]) => {
        const seen: string[] = [];
        return window.Sijax.attach(callId, {
          transport,
          onCommand: (c) => void seen.push(String(c.html)),
        }).then((value) => ({ value, seen }));
      },
      [callId, transport] as const,
    );
    probe.latch(tag, 1).open();
    probe.latch(tag, 2).open();
    expect(await attached).toEqual({ value: 3, seen: ['1 of 3', '2 of 3', '3 of 3', 'undefined'] });
  });

  it('abort() stops the handler on the server at once', async () => {
    const tag = `browser-abort-${transport}`;
    await page.evaluate(
      ([tag, transport]) => {
        const call = window.sjxComet.request('resumableProgress', [tag, 3], { transport });
        (window as unknown as { call: { abort(): void } }).call = call;
        call.catch(() => undefined);
      },
      [tag, transport] as const,
    );
    await until(() => probe.steps.get(tag) === 1, 5000, 'step 1');
    await page.evaluate(() => (window as unknown as { call: { abort(): void } }).call.abort());
    await until(() => probe.signals.get(tag)?.aborted === true, 5000, 'the cancel to arrive');
  });
});
