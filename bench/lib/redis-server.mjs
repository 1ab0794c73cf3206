// The redis-server of the Redis-backed figures: the bench's own, started on a free port in a
// temporary folder with no persistence (no RDB, no AOF), and stopped (SIGKILL, the folder removed)
// at the end of the run. As the tests start theirs (test/utils/redis-server.ts).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Debian's package "redis-server"; the Redis figures are skipped, and said so, without it. */
export const REDIS_SERVER = '/usr/bin/redis-server';

/** `7.0.15`, from `redis-server --version`. */
function version() {
  const text = execFileSync(REDIS_SERVER, ['--version'], { encoding: 'utf8' });
  return /v=(\S+)/.exec(text)?.[1] ?? text.trim();
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Resolves true once the server says it is ready, false if it exits or 10 s pass. */
function ready(child, output) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), 10_000);
    const check = () => {
      if (!output().includes('Ready to accept connections')) return;
      clearTimeout(timer);
      resolve(true);
    };
    child.stdout.on('data', check);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

/**
 * Starts one redis-server; resolves with `{ port, pid, version, stop() }`, or `{ skipped }` (a reason)
 * when there is none to start.
 */
export async function startRedis() {
  if (!existsSync(REDIS_SERVER)) {
    return { skipped: `${REDIS_SERVER} is not installed (Debian's package "redis-server")` };
  }
  // A port free a moment ago may be taken by the time redis binds it: try another.
  let output = '';
  for (let attempt = 1; attempt <= 3; attempt++) {
    const dir = mkdtempSync(path.join(tmpdir(), 'sijax-bench-redis-'));
    const port = await freePort();
    const child = spawn(REDIS_SERVER, [
      ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir],
      ...['--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'notice'],
    ]);
    output = '';
    child.stdout.setEncoding('utf8').on('data', (text) => (output += text));
    child.stderr.setEncoding('utf8').on('data', (text) => (output += text));
    // Should the runner die before it stops the server (an uncaught error), the server goes too.
    const orphaned = () => {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    };
    process.once('exit', orphaned);
    const stop = async () => {
      process.off('exit', orphaned);
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    };
    if (await ready(child, () => output)) return { port, pid: child.pid, version: version(), stop };
    await stop();
  }
  throw new Error(`redis-server did not start:\n${output}`);
}
