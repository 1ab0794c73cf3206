import { existsSync } from 'fs';
import { join } from 'path';
import { AppEvents } from '../deploy/app-events';
import { startChild, type Child } from '../deploy/child-processes';

const BUILT_LIB = join(__dirname, '..', '..', 'dist', 'lib', 'index.js');

/** A fixture app (plain JS on the built library) in a process of its own, listening. */
export interface ChildApp {
  child: Child;
  /** The JSON lines it printed. */
  events: AppEvents;
  port: number;
}

/**
 * Runs `script` with this Node (`execArgv` before it) and waits for its `listening` line (see
 * test/fixtures/child-app.js); fails with its output should it exit first.
 */
export async function startChildApp(
  script: string,
  env: Record<string, string> = {},
  execArgv: string[] = [],
): Promise<ChildApp> {
  if (!existsSync(BUILT_LIB)) {
    throw new Error(`${BUILT_LIB} is missing: run "npm run build:lib" first (npm test does)`);
  }
  const child = startChild(script, process.execPath, [...execArgv, script], {
    env: { ...process.env, NODE_NO_WARNINGS: '1', ...env },
  });
  const events = new AppEvents(child);
  const { port } = await events.waitFor((event) => event.event === 'listening', 15_000);
  return { child, events, port: port! };
}
