import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { request } from 'node:http';
import { createServer, type Server } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A process this test started: its output so far (for failure messages) and its exit. */
export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  /** stdout and stderr, interleaved, the last 20 000 characters. */
  output(): string;
  /** stderr alone, the last 20 000 characters. */
  stderr(): string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  hasExited(): boolean;
}

const OUTPUT_LIMIT = 20_000;

export function startChild(
  name: string,
  command: string,
  args: string[],
  options: SpawnOptions = {},
): Child {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let stderr = '';
  let exited = false;
  const collect = (data: Buffer) => {
    output = (output + data.toString('utf8')).slice(-OUTPUT_LIMIT);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  child.stderr?.on('data', (data: Buffer) => {
    stderr = (stderr + data.toString('utf8')).slice(-OUTPUT_LIMIT);
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    // 'close' comes after 'exit' and after the pipes are drained, so nothing stays open.
    child.once('close', (code, signal) => {
      exited = true;
      resolve({ code, signal });
    });
    child.once('error', (error) => {
      exited = true;
      output += `\n[spawn failed: ${error.message}]`;
      resolve({ code: null, signal: null });
    });
  });
  return {
    name,
    process: child,
    output: () => output,
    stderr: () => stderr,
    exited: exit,
    hasExited: () => exited,
  };
}

/** Sends `signal`, waits for the exit, and uses SIGKILL if it takes longer than `graceMs`. */
export async function stopChild(
  child: Child | undefined,
  signal: NodeJS.Signals = 'SIGTERM',
  graceMs = 10_000,
): Promise<void> {
  if (!child || child.hasExited()) return;
  child.process.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>(
    (resolve) => (timer = setTimeout(() => resolve('late'), graceMs)),
  );
  const outcome = await Promise.race([child.exited, late]);
  clearTimeout(timer);
  if (outcome === 'late') {
    child.process.kill('SIGKILL');
    await child.exited;
  }
}

/** Resolves once `GET url` answers 200; fails early, with the output, if `child` exits first. */
export async function waitForHttp(url: string, child: Child, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.hasExited()) {
      throw new Error(`${child.name} exited before ${url} answered:\n${child.output()}`);
    }
    if ((await getStatus(url)) === 200) return;
    if (Date.now() > deadline) {
      throw new Error(`${url} did not answer 200 within ${timeoutMs} ms:\n${child.output()}`);
    }
    await sleep(100);
  }
}

function getStatus(url: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false, timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/** `count` distinct ports that were free a moment ago (all held open at once, then released). */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
    }
    return servers.map((server) => (server.address() as { port: number }).port);
  } finally {
    await Promise.all(
      servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
    );
  }
}
