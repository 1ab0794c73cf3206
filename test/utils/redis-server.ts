import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { freePorts, startChild, stopChild, type Child } from '../deploy/child-processes';

/** Debian's redis-server (package "redis-server"); `.ci/run` installs it. Missing, tests fail. */
export const REDIS_SERVER = '/usr/bin/redis-server';
/** Debian's redis-cli (package "redis-tools", a dependency of "redis-server"). */
export const REDIS_CLI = '/usr/bin/redis-cli';

/** A redis-server this test started: on a free port, in a temp dir, with no persistence. */
export interface TestRedis {
  readonly port: number;
  readonly child: Child;
  /** A new client of it (the caller closes it). */
  client(): Redis;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<TestRedis> {
  const server = await startServer([]);
  return { ...server, client: () => new Redis(server.port, '127.0.0.1') };
}

/** A Redis Cluster of three masters (no replicas) this test started, each as `startRedis()`. */
export interface TestRedisCluster {
  readonly ports: readonly number[];
  /** A new cluster client of it (the caller closes it). */
  client(): Cluster;
  /** A new client of each master (the caller closes them). */
  nodes(): Redis[];
  stop(): Promise<void>;
}

const run = promisify(execFile);

export async function startRedisCluster(): Promise<TestRedisCluster> {
  if (!existsSync(REDIS_CLI)) {
    throw new Error(`redis-cli not found at ${REDIS_CLI}: install Debian's "redis-tools"`);
  }
  const servers: TestRedis[] = [];
  const stop = async () => {
    for (const server of servers.splice(0)) await server.stop();
  };
  try {
    for (let i = 0; i < 3; i++) {
      // The cluster bus gets a free port of its own (by default it is port + 10000).
      const [busPort] = await freePorts(1);
      const server = await startServer([
        ...['--cluster-enabled', 'yes', '--cluster-port', String(busPort)],
        ...['--cluster-config-file', 'nodes.conf'],
      ]);
      servers.push({ ...server, client: () => new Redis(server.port, '127.0.0.1') });
    }
    const ports = servers.map((server) => server.port);
    await run(
      REDIS_CLI,
      [
        ...['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`)],
        ...['--cluster-replicas', '0', '--cluster-yes'],
      ],
      { timeout: 30_000 },
    );
    // Each node must know the whole slot map before a client may rely on it.
    for (const port of ports) {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const { stdout } = await run(REDIS_CLI, ['-p', String(port), 'cluster', 'info'], {
          timeout: 5_000,
        });
        if (stdout.includes('cluster_state:ok')) break;
        if (Date.now() > deadline) throw new Error(`cluster not ready on ${port}:\n${stdout}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    return {
      ports,
      client: () => new Cluster([{ host: '127.0.0.1', port: ports[0] }]),
      nodes: () => servers.map((server) => server.client()),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** One redis-server with `args` on top of the test defaults; retried if its port was taken. */
async function startServer(args: string[]): Promise<Omit<TestRedis, 'client'>> {
  if (!existsSync(REDIS_SERVER)) {
    throw new Error(`redis-server not found at ${REDIS_SERVER}: install Debian's "redis-server"`);
  }
  // A port free a moment ago may be taken by the time redis binds it: try another.
  for (let attempt = 1; ; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), 'sijax-redis-'));
    const [port] = await freePorts(1);
    const child = startChild(
      `redis-server on ${port}`,
      REDIS_SERVER,
      [
        ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir],
        ...['--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'notice'],
        ...args,
      ],
      { cwd: dir },
    );
    const stop = async () => {
      await stopChild(child, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    };
    if (await isReady(child)) return { port, child, stop };
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
