/// <reference lib="dom" />
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { clientBuildFile } from '../../lib/http/client-asset';
import { CLIENT_FILE_NAME } from '../../lib/protocol/wire-names';
import { startStaticServer } from './static-server';
import type { StaticServer } from './static-server';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * How long Chromium may keep the connection of a cancelled response open, reading the rest of
 * its body to reuse the connection (net's HttpResponseBodyDrainer: 5 s, or 16 KiB).
 */
export const CHROMIUM_DRAIN_MS = 5000;
const ROOT = join(__dirname, '..', '..');
const CLIENT_DIR = join(ROOT, 'client');
/** The wire protocol's names and formats, compiled into the client too. */
const PROTOCOL_DIR = join(ROOT, 'lib', 'protocol');
export const CLIENT_BUNDLE = join(ROOT, 'dist', 'client', 'sijax.js');

/** Launches the system Chromium; a missing browser fails the test (never a skip). */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`Chromium not found at ${CHROMIUM_PATH}`);
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/**
 * The builds of the served client (client/build.mjs), by what they hold beyond both transports:
 * their files are the server's own mapping, so tests and server cannot disagree.
 */
export const CLIENT_BUILDS = (
  [
    [true, true],
    [false, false],
    [true, false],
    [false, true],
  ] as const
).map(([resume, upload]) => ({ file: clientBuildFile(resume, upload), resume, upload }));

/**
 * Builds dist/client when it is missing or older than its sources, and returns the IIFE bundle
 * (`build`: one of the smaller builds instead of the whole client).
 */
export function buildClient(file = CLIENT_FILE_NAME): string {
  const built = existsSync(CLIENT_BUNDLE) ? statSync(CLIENT_BUNDLE).mtimeMs : 0;
  const sources = [CLIENT_DIR, PROTOCOL_DIR].flatMap((dir) =>
    readdirSync(dir).map((file) => statSync(join(dir, file)).mtimeMs),
  );
  if (Math.max(...sources) > built) {
    execFileSync(process.execPath, [join(CLIENT_DIR, 'build.mjs')], { cwd: ROOT, stdio: 'pipe' });
  }
  return readFileSync(join(ROOT, 'dist', 'client', file), 'utf8');
}

declare global {
  interface Window {
    /** Scratch space for values a test reads back from the page (set up empty on every page). */
    probe: Record<string, unknown>;
  }
}

export const DEFAULT_PAGE =
  '<!doctype html><meta charset="utf-8"><title>t</title>' +
  '<div id="x">x</div><script src="/sijax/sijax.js"></script>';

export interface TestPage {
  page: Page;
  /** Text of every console message, in order. */
  logs: string[];
  /** Uncaught exceptions and unhandled rejections of the page. */
  pageErrors: string[];
}

export interface ClientHarness {
  readonly server: StaticServer;
  /** Opens `path` (default: DEFAULT_PAGE at `/`) in a fresh browser context. */
  open(path?: string): Promise<TestPage>;
}

/**
 * Jest hooks for a browser spec: builds the client, serves it (or one of its smaller builds) at
 * `/sijax/sijax.js` with DEFAULT_PAGE at `/`, launches Chromium once and closes every page after
 * each test.
 */
export function useClientHarness(file = CLIENT_FILE_NAME): ClientHarness {
  let browser: Browser;
  let server: StaticServer;
  let contexts: BrowserContext[] = [];
  beforeAll(async () => {
    const client = buildClient(file);
    server = await startStaticServer();
    server.serve('/sijax/sijax.js', client, { 'Content-Type': 'text/javascript' });
    browser = await launchBrowser();
  }, 60_000);
  beforeEach(() => server.serve('/', DEFAULT_PAGE, { 'Content-Type': 'text/html' }));
  afterEach(async () => {
    await Promise.all(contexts.map((context) => context.close()));
    contexts = [];
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  return {
    get server() {
      return server;
    },
    async open(path = '/') {
      const context = await browser.newContext();
      contexts.push(context);
      await context.addInitScript('window.probe = {}');
      const page = await context.newPage();
      const logs: string[] = [];
      const pageErrors: string[] = [];
      page.on('console', (message) => logs.push(message.text()));
      page.on('pageerror', (error) => pageErrors.push(error.message));
      await page.goto(server.url + path);
      return { page, logs, pageErrors };
    },
  };
}
