/// <reference lib="dom" />
import { execFile, spawn, type ChildProcess } from 'child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'fs';
import { createServer } from 'net';
import { tmpdir } from 'os';
import { dirname, join } from 'path';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../utils/browser';

/**
 * The README's "Quick start" section, taken at its word: its code blocks are written into a fresh
 * `nest new` project (the @nestjs/schematics application template, rendered as `nest new` does
 * without --strict), its `npm install` line is run (nestjs-sijax from the packed tarball), the
 * project is compiled with its own tsconfig and started, and every button of the page is pressed
 * in Chromium. The README cannot drift from what works.
 */

const ROOT = join(__dirname, '..', '..');
const TEMPLATE = join(
  ROOT,
  'node_modules',
  '@nestjs',
  'schematics',
  'dist',
  'lib',
  'application',
  'files',
  'ts',
);

interface QuickStart {
  files: Map<string, string>;
  packages: string[];
}

/** The section's code blocks: files by their first line (`// src/x.ts`, `<!-- public/x -->`). */
function readQuickStart(): QuickStart {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Quick start\n');
  const end = readme.indexOf('\n## ', start + 1);
  if (start < 0) throw new Error('README.md has no "## Quick start" section');
  const section = readme.slice(start, end < 0 ? undefined : end);
  const files = new Map<string, string>();
  const packages: string[] = [];
  for (const [, lang, body] of section.matchAll(/```(\w+)\n([\s\S]*?)```/g)) {
    const first = body.split('\n')[0];
    if (lang === 'sh') {
      const install = /^npm install (.+)$/m.exec(body);
      if (install) packages.push(...install[1].trim().split(/\s+/));
      continue;
    }
    const name = /^\/\/ (\S+)$/.exec(first)?.[1] ?? /^<!-- (\S+) -->$/.exec(first)?.[1];
    if (!name) throw new Error(`a ${lang} block of the Quick start names no file: ${first}`);
    files.set(name, body);
  }
  return { files, packages };
}

function run(command: string, args: string[], cwd: string, env = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error)
        reject(
          new Error(`${command} ${args.join(' ')} failed:\n${stdout}\n${stderr}`.slice(-4000)),
        );
      else resolve(stdout);
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** The template as `nest new` renders it (its ejs placeholders, its spec file names). */
function newNestProject(dir: string): void {
  cpSync(TEMPLATE, dir, { recursive: true });
  const render = (file: string, values: Record<string, string>) => {
    let text = readFileSync(join(dir, file), 'utf8');
    for (const [key, value] of Object.entries(values))
      text = text.split(`<%= ${key} %>`).join(value);
    writeFileSync(join(dir, file), text);
  };
  render('tsconfig.json', { strict: 'false' });
  render('package.json', { name: 'quick-start', version: '0.0.1', description: '', author: '' });
  for (const folder of ['src', 'test']) {
    for (const file of readdirSync(join(dir, folder))) {
      if (file.includes('__specFileSuffix__')) {
        renameSync(
          join(dir, folder, file),
          join(dir, folder, file.replace('__specFileSuffix__', 'spec')),
        );
      }
    }
  }
  // What the test needs of the template's tooling: the compiler and the types it reads.
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const keep = ['typescript', '@types/node', '@types/express'];
  manifest.devDependencies = Object.fromEntries(
    Object.entries(manifest.devDependencies as Record<string, string>).filter(([name]) =>
      keep.includes(name),
    ),
  );
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
}

describe('the README quick start, copied into a fresh nest new project', () => {
  let work: string;
  let app: ChildProcess | undefined;
  let browser: Browser;
  let url: string;
  const quickStart = readQuickStart();

  beforeAll(async () => {
    work = realpathSync(mkdtempSync(join(tmpdir(), 'sijax-quick-start-')));
    await run('npm', ['pack', '--pack-destination', work], ROOT);
    const tarball = join(work, readdirSync(work).find((file) => file.endsWith('.tgz'))!);
    const dir = join(work, 'app');
    mkdirSync(dir);
    newNestProject(dir);
    for (const [name, text] of quickStart.files) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    await run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts'], dir);
    const packages = quickStart.packages.map((name) => (name === 'nestjs-sijax' ? tarball : name));
    await run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', ...packages], dir);
    // The project's own build: its tsconfig, as `nest build` would use it.
    await run(
      process.execPath,
      [join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
      dir,
    );
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port) };
    delete env.NODE_PATH;
    app = spawn(process.execPath, ['dist/main.js'], { cwd: dir, env, stdio: 'pipe' });
    const output: string[] = [];
    app.stdout?.on('data', (chunk: Buffer) => output.push(String(chunk)));
    app.stderr?.on('data', (chunk: Buffer) => output.push(String(chunk)));
    for (let attempt = 0; ; attempt++) {
      const ok = await fetch(url).then(
        (res) => res.ok,
        () => false,
      );
      if (ok) break;
      if (attempt > 200 || app.exitCode !== null)
        throw new Error(`the app did not start:\n${output.join('')}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    browser = await launchBrowser();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    app?.kill();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('names every file it shows and one npm install line', () => {
    expect([...quickStart.files.keys()].sort()).toEqual([
      'public/index.html',
      'src/app.module.ts',
      'src/greeter.ts',
      'src/main.ts',
      'src/progress.handler.ts',
    ]);
    expect(quickStart.packages).toEqual(['nestjs-sijax']);
  });

  it('serves the page at /, where every button visibly does something, and Comet visibly streams', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('dialog', (dialog) => void dialog.dismiss());
    await page.goto(url);
    // Every text the page shows, in order: a streamed call shows its steps one by one.
    await page.evaluate(() => {
      const seen: Record<string, string[]> = {};
      (window as unknown as { seen: typeof seen }).seen = seen;
      new MutationObserver((records) => {
        for (const record of records) {
          const target =
            record.target instanceof Element ? record.target : record.target.parentElement!;
          const id = target.closest('[id]')?.id ?? '';
          (seen[id] ??= []).push(target.textContent ?? '');
        }
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    const buttons = await page.$$eval('button', (all) => all.map((button) => button.id));
    expect(buttons.length).toBeGreaterThanOrEqual(3);
    for (const id of buttons) {
      const before = await page.evaluate(() => document.body.innerText);
      await page.click(`#${id}`);
      await page.waitForFunction((text) => document.body.innerText !== text, before, {
        timeout: 10_000,
      });
    }
    await page.waitForFunction(
      () => document.getElementById('progress')?.textContent === 'Done',
      undefined,
      {
        timeout: 20_000,
      },
    );
    await page.waitForFunction(
      () => document.getElementById('count')?.textContent === 'Lift-off!',
      undefined,
      {
        timeout: 20_000,
      },
    );
    const seen = await page.evaluate(
      () => (window as unknown as { seen: Record<string, string[]> }).seen,
    );
    const steps = new Set(seen.progress);
    expect(steps.size).toBeGreaterThanOrEqual(5);
    expect([...steps]).toEqual(expect.arrayContaining(['1 of 10', '5 of 10', '10 of 10', 'Done']));
    expect(new Set(seen.count).size).toBeGreaterThanOrEqual(4);
    expect(await page.textContent('#greeting')).toBe('Hello Ann!');
    expect(errors).toEqual([]);
  });
});
