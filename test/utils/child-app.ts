import { spawn, type ChildProcess } from 'child_process';
import { existsSync } from 'fs';
import { join } from 'path';
import { until } from './latch';

export const BUILT_LIB = join(__dirname, '..', '..', 'dist', 'lib', 'index.js');

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
}

/** An app in a process of its own: its stdout as JSON lines, its stderr, and its exit. */
export interface ChildApp {
  child: ChildProcess;
  messages: Record<string, unknown>[];
  stderr: string[];
  exited: Promise<ChildExit>;
}

/** Runs a fixture script (plain JS) with this Node, `execArgv` before it. */
export function runChild(
  script: string,
  env: Record<string, string> = {},
  execArgv: string[] = [],
): ChildApp {
  const child = spawn(process.execPath, [...execArgv, script], {
    env: { ...process.env, NODE_NO_WARNINGS: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const messages: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  let partial = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    for (const line of lines) if (line.startsWith('{')) messages.push(JSON.parse(line));
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
  const exited = new Promise<ChildExit>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  return { child, messages, stderr, exited };
}

/** The port a child app printed as `{"port":N}`; fails with its stderr should it exit first. */
export async function childPort(run: ChildApp, timeoutMs = 15_000): Promise<number> {
  const failed = run.exited.then(({ code, signal }) => {
    throw new Error(`app exited early (${code ?? signal}): ${run.stderr.join('')}`);
  });
  failed.catch(() => undefined);
  await Promise.race([until(() => run.messages.some((m) => 'port' in m), timeoutMs), failed]);
  return (run.messages.find((m) => 'port' in m) as { port: number }).port;
}

/** Fails clearly when the built library, which the child apps load, is missing. */
export function assertBuiltLib(): void {
  if (!existsSync(BUILT_LIB)) {
    throw new Error(`${BUILT_LIB} is missing: run "npm run build:lib" first (npm test does)`);
  }
}

/** Kills a child app still running (after a test that failed before it stopped it). */
export function killChild(child: ChildProcess | undefined): void {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
