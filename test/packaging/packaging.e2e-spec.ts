import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'fs';
import { tmpdir } from 'os';
import { join, sep } from 'path';
import { createInterface } from 'readline';
import request from 'supertest';
import { ChunkReader, parseChunks, sijaxBody } from '../utils/http-client';

/**
 * The published package, as users get it: `npm pack`, then two apps install the tarball from a
 * temporary directory (nothing resolves from this repository) and are started with `node`:
 * - `cjs-nest11/`: CommonJS, `require('nestjs-sijax')`, Nest 11;
 * - `esm-nest12/`: an ES module importing names from our CommonJS build, Nest 12 (ESM-only, which
 *   our `require('@nestjs/common')` loads through Node's require(esm), Node ≥ 20.19).
 * Runs after `npm run build` (`npm test`). KEEP_PACKAGING_TMP=1 keeps the temporary directory.
 */

const ROOT = join(__dirname, '..', '..');

interface Fixture {
  /** Folder next to this file, copied to the temporary directory. */
  name: 'cjs-nest11' | 'esm-nest12';
  nest: string;
}

const FIXTURES: Fixture[] = [
  { name: 'cjs-nest11', nest: '11.2.10' },
  { name: 'esm-nest12', nest: '12.5.1' },
];

interface RunningApp {
  dir: string;
  url: string;
  child: ChildProcessWithoutNullStreams;
  stderr: string[];
}

const timings: [string, number][] = [];

async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const start = performance.now();
  try {
    return await work();
  } finally {
    timings.push([label, Math.round(performance.now() - start)]);
  }
}

/** Runs a command to completion; its output goes into the error when it fails. */
function run(command: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        const output = `${stdout}\n${stderr}`.trim().slice(-4000);
        reject(new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${output}`));
      } else resolve(stdout);
    });
  });
}

/** Starts a fixture app and resolves once it printed `PORT=<n>`. */
function startApp(dir: string): Promise<RunningApp> {
  const env = { ...process.env };
  delete env.NODE_PATH; // resolve only from the app's own node_modules
  const child = spawn(process.execPath, ['main.js'], { cwd: dir, env, stdio: 'pipe' });
  const stderr: string[] = [];
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const port = /^PORT=(\d+)$/.exec(line)?.[1];
      if (port) resolve({ dir, url: `http://127.0.0.1:${port}`, child, stderr });
    });
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      reject(new Error(`${dir} exited (${code ?? signal}) before listening:\n${stderr.join('')}`)),
    );
  });
}

async function stopApp({ child }: RunningApp): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill();
  await exited;
}

describe('the packed tarball in a CommonJS app on Nest 11 and an ESM app on Nest 12', () => {
  let work: string;
  let entries: string[];
  const apps = new Map<Fixture['name'], RunningApp>();

  beforeAll(async () => {
    for (const file of ['dist/lib/index.js', 'dist/client/sijax.js']) {
      if (!existsSync(join(ROOT, file))) throw new Error(`${file} is missing: run npm run build`);
    }
    work = realpathSync(mkdtempSync(join(tmpdir(), 'sijax-packaging-')));
    const packDir = join(work, 'pack');
    mkdirSync(packDir);
    await timed('npm pack', () => run('npm', ['pack', '--pack-destination', packDir], ROOT));
    const [tarballName, ...others] = readdirSync(packDir).filter((file) => file.endsWith('.tgz'));
    if (!tarballName || others.length) throw new Error(`expected one tarball in ${packDir}`);
    const tarball = join(packDir, tarballName);
    entries = (await run('tar', ['-tzf', tarball], work)).split('\n').filter(Boolean);

    // Both apps require ../shared, so it sits beside them in the work folder as in the repo.
    cpSync(join(__dirname, 'shared'), join(work, 'shared'), { recursive: true });
    const installStart = performance.now();
    await Promise.all(
      FIXTURES.map(async ({ name }) => {
        const dir = join(work, name);
        cpSync(join(__dirname, name), dir, {
          recursive: true,
          filter: (source) => !source.split(sep).includes('node_modules'),
        });
        // The typed front end's sources, type-checked in each app against its own install.
        cpSync(join(__dirname, 'shared', 'types'), join(dir, 'types'), { recursive: true });
        const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
        manifest.dependencies['nestjs-sijax'] = `file:${tarball}`;
        writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
        await timed(`npm install ${name}`, () =>
          run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts'], dir),
        );
        apps.set(name, await timed(`start ${name}`, () => startApp(dir)));
      }),
    );
    timings.push([
      'install + start, both in parallel',
      Math.round(performance.now() - installStart),
    ]);
  }, 240_000);

  afterAll(async () => {
    await Promise.all([...apps.values()].map(stopApp));
    for (const [name, app] of apps) {
      const stderr = app.stderr.join('').trim();
      if (stderr) console.warn(`${name} wrote to stderr:\n${stderr}`);
    }
    if (work && !process.env.KEEP_PACKAGING_TMP) rmSync(work, { recursive: true, force: true });
    console.log(
      `packaging timings:\n${timings.map(([label, ms]) => `  ${label}: ${ms} ms`).join('\n')}`,
    );
  });

  it('packs only package.json, README.md, LICENSE, CHANGELOG.md, dist/lib and dist/client', () => {
    const allowed =
      /^package\/(package\.json|README\.md|LICENSE|CHANGELOG\.md|dist\/lib\/.+\.(js|d\.ts|js\.map)|dist\/client\/.+\.(js|d\.ts))$/;
    expect(entries.filter((entry) => !allowed.test(entry))).toEqual([]);
    expect(
      entries.filter((entry) => /\.(spec|e2e-spec)\.|(^|\/)(test|sample)\//.test(entry)),
    ).toEqual([]);
    expect(entries).toEqual(
      expect.arrayContaining([
        'package/dist/lib/index.js',
        'package/dist/lib/index.d.ts',
        'package/dist/client/sijax.js',
        'package/dist/client/builds/core.js',
        'package/dist/client/builds/core-resume.js',
        'package/dist/client/builds/core-upload.js',
        'package/dist/client/sijax.esm.js',
        'package/dist/client/index.d.ts',
        'package/LICENSE',
        'package/CHANGELOG.md',
      ]),
    );
    // Left over in dist/ from a source that is gone (tsc never deletes): would ship dead modules.
    const stale = entries
      .filter((entry) => entry.startsWith('package/dist/lib/'))
      .map((entry) => entry.replace(/^package\/dist\//, '').replace(/\.(js|d\.ts|js\.map)$/, '.ts'))
      .filter((source) => !existsSync(join(ROOT, source)));
    expect(stale).toEqual([]);
  });

  describe.each(FIXTURES)('$name', ({ name, nest }) => {
    const app = (): RunningApp => apps.get(name)!;
    const installed = (file: string) => join(app().dir, 'node_modules', 'nestjs-sijax', file);

    it(`runs Nest ${nest} with nestjs-sijax from the tarball`, async () => {
      const res = await request(app().url).get('/state').expect(200);
      expect(res.body).toMatchObject({ nest, released: 0, finished: false });
      expect(res.body.sijax).toBe(installed('dist/lib/index.js'));
    });

    it('streams a Comet call: chunk k arrives while the handler is held before step k+1', async () => {
      const reader = new ChunkReader(`${app().url}/sijax`, sijaxBody('count', [3]));
      for (let step = 1; step <= 3; step++) {
        const text = await reader.waitFor((body) => parseChunks(body).length >= step);
        // The handler waits for this step's release: nothing after the yield has run.
        expect(parseChunks(text)).toHaveLength(step);
        expect(reader.ended).toBe(false);
        expect(parseChunks(text)[step - 1]).toEqual([
          { type: 'html', selector: '#count', html: `${step} of 3`, setType: 'replace' },
        ]);
        const released = await request(app().url).post('/release').expect(200);
        expect(released.body).toEqual({ released: step, finished: false });
      }
      await reader.done;
      expect(reader.response?.statusCode).toBe(200);
      expect(reader.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(parseChunks(reader.text)).toHaveLength(3);
      const state = await request(app().url).get('/state').expect(200);
      expect(state.body).toMatchObject({ released: 3, finished: true });
    });

    it('installs without ioredis, an optional peer that only nestjs-sijax/redis needs', () => {
      expect(existsSync(join(app().dir, 'node_modules', 'ioredis'))).toBe(false);
    });

    it('answers a plain Sijax call with JSON', async () => {
      const res = await request(app().url)
        .post('/sijax')
        .type('form')
        .send(sijaxBody('hello', ['Ann']))
        .expect(200)
        .expect('Content-Type', /application\/json/);
      expect(res.body).toEqual([{ type: 'alert', alert: 'Hello Ann' }]);
    });

    it('runs the testing kit (nestjs-sijax/testing) on an app that only was initialised', async () => {
      const output = await run(process.execPath, ['self-test.js'], app().dir);
      expect(JSON.parse(output)).toEqual({
        listening: false,
        hello: [{ type: 'alert', alert: 'Hello Ann' }],
        batches: [
          [{ type: 'html', selector: '#quick', html: '1 of 2' }],
          [{ type: 'html', selector: '#quick', html: '2 of 2' }],
          [{ type: 'return', value: 2 }],
        ],
      });
    });

    it('generates typed calls with the installed bin and type-checks a front end against them', async () => {
      const dir = app().dir;
      const bin = join(dir, 'node_modules', '.bin', 'nestjs-sijax');
      await run(
        bin,
        ['types', '--project', 'tsconfig.types.json', '--out', 'types/app-calls.ts'],
        dir,
      );
      const calls = readFileSync(join(dir, 'types', 'app-calls.ts'), 'utf8');
      expect(calls).toContain(`say_hello: SijaxCallOf<Greeter['hello'], 'sijax'>;`);
      expect(calls).toContain(`count_down: SijaxCallOf<Greeter['countDown'], 'comet'>;`);
      // Every right call compiles, every @ts-expect-error line is an error (an unused one fails).
      const tsc = join(dir, 'node_modules', 'typescript', 'bin', 'tsc');
      await run(process.execPath, [tsc, '-p', 'tsconfig.types.json'], dir);
    });

    // The app has no resumable or upload handler: it serves the smallest build.
    it('serves the installed browser client at /sijax/sijax.js', async () => {
      const res = await request(app().url)
        .get('/sijax/sijax.js')
        .expect(200)
        .expect('Content-Type', /javascript/);
      // Outside production the served file opts into selector warnings first.
      const prefix = 'self.SIJAX_WARNINGS=true;\n';
      expect(res.text.startsWith(prefix)).toBe(true);
      expect(res.text.slice(prefix.length)).toBe(
        readFileSync(installed('dist/client/builds/core.js'), 'utf8'),
      );
      expect(res.headers.etag).toBeTruthy();
    });
  });

  it('resolves nestjs-sijax/client and its types from the ESM app', async () => {
    const res = await request(apps.get('esm-nest12')!.url).get('/state').expect(200);
    const root = join(apps.get('esm-nest12')!.dir, 'node_modules', 'nestjs-sijax');
    expect(res.body.package).toEqual({
      root,
      main: join(root, 'dist/lib/index.js'),
      client: join(root, 'dist/client/sijax.esm.js'),
      version: JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version,
    });
    expect(existsSync(join(root, 'dist/client/index.d.ts'))).toBe(true);
  });
});
