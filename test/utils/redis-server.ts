import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePorts, startChild, stopChild, type Child } from '../deploy/child-processes';

/** Debian's redis-server (package "redis-server"); `.ci/run` installs it. Missing, tests fail. */
export const REDIS_SERVER = '/usr/bin/redis-server';

/** A redis-server this test started: on a free port, in a temp dir, with no persistence. */
export interface TestRedis {
  readonly port: number;
  readonly child: Child;
  /** A new client of it (the caller closes it). */
  client(): Redis;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<TestRedis> {
  if (!existsSync(REDIS_SERVER)) {
    throw new Error(`redis-server not found at ${REDIS_SERVER}: install Debian's "redis-server"`);
  }
  // A port free a moment ago may be taken by the time redis binds it: try another.
  for (let attempt = 1; ; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), 'sijax-redis-'));
    const [port] = await freePorts(1);
    const child = startChild(`redis-server on ${port}`, REDIS_SERVER, [
      ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir],
      ...['--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'notice'],
    ]);
    const stop = async () => {
      await stopChild(child, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    };
    if (await isReady(child)) {
      return { port, child, client: () => new Redis(port, '127.0.0.1'), stop };
    }
    await stop();
    if (attempt === 3) throw new Error(`redis-server did not start:\n${child.output()}`);
  }
}

/** Waits for redis to say it is ready (no probing client: nothing left open), or to exit. */
async function isReady(child: Child): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  while (!child.hasExited() && Date.now() < deadline) {
    if (child.output().includes('Ready to accept connections')) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}
