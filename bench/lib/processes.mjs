// Server child processes, and what they need before they start: the built library, the Nest 12
// install of `bench/nest12`, and enough file descriptors for the idle-stream figure.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const ROOT = path.dirname(BENCH_DIR);

/** Each server's file, and its arguments. */
const SERVERS = {
  raw: ['servers/raw.mjs'],
  'raw-batched': ['servers/raw.mjs', '--batched'],
  'nest-sse': ['servers/nest-sse.mjs'],
  'nest12-stream': ['nest12/stream-server.mjs'],
  sijax: ['servers/sijax.mjs'],
  // Started with `args: ['--redis=<port>']`, the port of the bench's redis-server.
  'sijax-redis': ['servers/sijax.mjs'],
  'nest-post': ['servers/nest-post.mjs'],
  // No HTTP: XADDs to the bench's redis-server (`args: ['--redis=<port>']`), the floor of 3r.
  'redis-floor': ['servers/redis-floor.mjs'],
  'nest-hold': ['servers/nest-hold.mjs'],
};

/**
 * Starts one server in its own process (`--expose-gc`, and `--cpu-prof` into `profileDir` if
 * given; `args` after its own). Resolves once it listens, with its port and `call(cmd, arg)` for
 * its control channel.
 */
export async function startServer(kind, { profileDir, args: extra = [] } = {}) {
  const flags = ['--expose-gc'];
  if (profileDir) {
    flags.push('--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${kind}.cpuprofile`);
  }
  const [file, ...args] = SERVERS[kind];
  const child = spawn(process.execPath, [...flags, path.join(BENCH_DIR, file), ...args, ...extra], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map();
  let nextId = 0;
  const ready = new Promise((resolve, reject) => {
    child.on('message', (message) => {
      if (message.ready) return resolve(message);
      const call = pending.get(message.id);
      pending.delete(message.id);
      if (message.error) call?.reject(new Error(message.error));
      else call?.resolve(message.result);
    });
    child.once('exit', (code, signal) => {
      const error = new Error(`${kind} server exited (${signal ?? code})`);
      pending.forEach((call) => call.reject(error));
      reject(error);
    });
  });
  const { port } = await ready;
  return {
    kind,
    port,
    pid: child.pid,
    call(cmd, arg) {
      return new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        child.send({ id, cmd, arg });
      });
    },
    /** A clean exit (profiles get written), or SIGKILL after 5 s. */
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      this.call('exit').catch(() => undefined);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Installs `bench/nest12` (Nest 12, ESM) from its lockfile when it is not installed yet. */
export function ensureNest12() {
  const folder = path.join(BENCH_DIR, 'nest12');
  if (existsSync(path.join(folder, 'node_modules', '@nestjs', 'core'))) return;
  console.log('Installing bench/nest12 (Nest 12) with npm ci ...');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['ci', '--prefix', folder, '--no-audit', '--no-fund'], {
    cwd: ROOT,
    stdio: 'inherit',
    shell: process.platform === 'win32',
  });
  if (result.status !== 0) throw new Error('npm ci in bench/nest12 failed');
}

export function ensureBuilt() {
  if (!existsSync(path.join(ROOT, 'dist', 'lib', 'index.js'))) {
    throw new Error('dist/lib is missing: run `npm run build` first');
  }
}

/** Soft and hard limits on open files, from the shell (Node cannot read them). */
export function fileLimits() {
  if (process.platform === 'win32') return { soft: Infinity, hard: Infinity };
  const read = (flag) => {
    const text = execFileSync('sh', ['-c', `ulimit ${flag}`], { encoding: 'utf8' }).trim();
    return text === 'unlimited' ? Infinity : Number(text);
  };
  return { soft: read('-Sn'), hard: read('-Hn') };
}

/**
 * Runs this script again under a soft open-file limit raised as far as the hard limit allows
 * (children inherit it). Returns false when no re-run is needed or possible.
 */
export function rerunWithMoreFiles(needed) {
  const { soft, hard } = fileLimits();
  if (soft >= needed || hard <= soft || process.env.BENCH_FILES_RAISED) return false;
  const limit = Math.min(hard, 1048576);
  console.log(`Open-file limit ${soft} is below ${needed}: running again under ulimit -n ${limit}`);
  const command = `ulimit -n ${limit} && exec "$0" "$@"`;
  const args = ['-c', command, process.execPath, ...process.execArgv, ...process.argv.slice(1)];
  const result = spawnSync('sh', args, {
    stdio: 'inherit',
    env: { ...process.env, BENCH_FILES_RAISED: '1' },
  });
  process.exit(result.status ?? 1);
}
