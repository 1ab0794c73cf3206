// Builds the browser client: dist/client/sijax.js (IIFE, minified), sijax.esm.js and index.d.ts.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

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

/** Writes through a temporary file: parallel test workers may build and read at the same time. */
function writeAtomic(file, contents) {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, contents);
  renameSync(tmp, file);
}

try {
  mkdirSync(outDir, { recursive: true });
  // The served file needs the globals only; the ESM entry adds the typed client.
  const outputs = [
    ['sijax.js', { format: 'iife', entryPoints: [join(clientDir, 'globals.ts')] }],
    ['sijax.esm.js', { format: 'esm', entryPoints: [join(clientDir, 'index.ts')] }],
  ];
  for (const [name, options] of outputs) {
    const result = await build({ ...common, ...options });
    writeAtomic(join(outDir, name), result.outputFiles[0].contents);
  }
  // Type-checks the client and emits dist/client/*.d.ts (stale ones removed first); throws on error.
  for (const file of readdirSync(outDir))
    if (file.endsWith('.d.ts')) rmSync(join(outDir, file), { force: true });
  const tsc = require.resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', join(clientDir, 'tsconfig.json')], {
    stdio: 'inherit',
  });
  const iife = join(outDir, 'sijax.js');
  const code = readFileSync(iife);
  const gzipped = gzipSync(code, { level: 9 }).length;
  console.log(`${relative(process.cwd(), iife)}: ${code.length} B minified, ${gzipped} B gzipped`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
