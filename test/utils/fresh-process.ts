import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { buildSync } from 'esbuild';

/**
 * Runs `script` in a fresh Node process (`--expose-gc`), after `entry` bundled with its exports
 * as the global `name`; returns what the script wrote to stdout. For heap figures: a jest
 * worker's heap holds what its earlier test files left, and collects it at any time, by far more
 * than what is measured. Packages stay external (resolved from the repository's root).
 */
export function runInFreshProcess(entry: string, name: string, script: string): string {
  const [bundle] = buildSync({
    entryPoints: [entry],
    bundle: true,
    format: 'iife',
    globalName: name,
    platform: 'node',
    packages: 'external',
    write: false,
  }).outputFiles;
  const output = execFileSync(process.execPath, ['--expose-gc', '-e', bundle.text + script], {
    cwd: join(__dirname, '../..'),
  });
  return output.toString();
}
