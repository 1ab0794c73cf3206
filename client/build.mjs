// Builds the browser client: dist/client/sijax.js (IIFE, minified), sijax.esm.js and index.d.ts.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { minify } from 'terser';

const clientDir = dirname(fileURLToPath(import.meta.url));
const outDir = join(clientDir, '..', 'dist', 'client');
const require = createRequire(import.meta.url);

const common = {
  bundle: true,
  minify: true,
  target: 'es2020',
  platform: 'browser',
  legalComments: 'none',
  write: false,
  logLevel: 'warning',
};

const TERSER = {
  ecma: 2020,
  module: false,
  compress: {
    passes: 3,
    unsafe: true,
    unsafe_arrows: true,
    unsafe_methods: true,
    pure_getters: true,
    keep_fargs: false,
    unsafe_comps: true,
  },
  mangle: true,
  format: { comments: false },
};

/** Writes through a temporary file: parallel test workers may build and read at the same time. */
function writeAtomic(file, contents) {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, contents);
  renameSync(tmp, file);
}

try {
  mkdirSync(outDir, { recursive: true });
  mkdirSync(join(outDir, 'builds'), { recursive: true });
  const globals = { format: 'iife', entryPoints: [join(clientDir, 'globals.ts')] };
  const flags = (resume, upload) => ({
    define: { SIJAX_RESUME: String(resume), SIJAX_UPLOAD: String(upload) },
  });
  // The served file needs the globals only; the ESM entry adds the typed client. The server
  // serves the smallest of the builds/ its handlers need (lib/http/client-asset.ts).
  const outputs = [
    ['sijax.js', { ...globals, ...flags(true, true) }],
    ['builds/core.js', { ...globals, ...flags(false, false) }],
    ['builds/core-resume.js', { ...globals, ...flags(true, false) }],
    ['builds/core-upload.js', { ...globals, ...flags(false, true) }],
    [
      'sijax.esm.js',
      { format: 'esm', entryPoints: [join(clientDir, 'index.ts')], ...flags(true, true) },
    ],
  ];
  for (const [name, options] of outputs) {
    const result = await build({ ...common, ...options });
    // esbuild bundles and minifies; terser's passes then take another 6% off the gzipped size.
    const { code } = await minify(result.outputFiles[0].text, TERSER);
    writeAtomic(join(outDir, name), code);
  }
  // Type-checks the client and emits dist/client/*.d.ts (stale ones removed first); throws on error.
  for (const file of readdirSync(outDir))
    if (file.endsWith('.d.ts')) rmSync(join(outDir, file), { force: true });
  const tsc = require.resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', join(clientDir, 'tsconfig.json')], {
    stdio: 'inherit',
  });
  for (const name of ['sijax.js', 'builds/core.js']) {
    const file = join(outDir, name);
    const code = readFileSync(file);
    const gzipped = gzipSync(code, { level: 9 }).length;
    console.log(
      `${relative(process.cwd(), file)}: ${code.length} B minified, ${gzipped} B gzipped`,
    );
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
