import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startChild, stopChild, waitForHttp, type Child } from './child-processes';
import { testNginxConfig, type TestNginxSettings } from './nginx-config';

/** Debian's nginx (package "nginx"); `.ci/run` installs it. Missing, the suite fails. */
const NGINX = '/usr/sbin/nginx';

/** Fails at once, before any set-up, when nginx is not installed. */
export function assertNginx(): void {
  if (!existsSync(NGINX)) {
    throw new Error(`nginx not found at ${NGINX}: install Debian's "nginx" package`);
  }
}

/** One of nginx's files under the test's prefix (its logs), or '(none)'. */
export function nginxFile(prefix: string, name: string): string {
  const file = join(prefix, name);
  return existsSync(file) ? readFileSync(file, 'utf8') : '(none)';
}

/**
 * Writes the test config (the example's, see nginx-config.ts) under `settings.prefix`, checks it
 * with `nginx -t`, starts nginx in the foreground and waits until `readyUrl` answers through it.
 * A config nginx refuses, or an nginx that never answers, fails with nginx's own words.
 */
export async function startNginx(settings: TestNginxSettings, readyUrl: string): Promise<Child> {
  assertNginx();
  mkdirSync(settings.prefix, { recursive: true });
  const config = join(settings.prefix, 'nginx.conf');
  writeFileSync(config, testNginxConfig(settings));
  const args = ['-p', settings.prefix, '-c', config];
  try {
    execFileSync(NGINX, [...args, '-t'], { stdio: 'pipe' });
  } catch (error) {
    throw new Error(
      `nginx -t refused the config:\n${String((error as { stderr?: Buffer }).stderr)}`,
    );
  }
  const nginx = startChild('nginx', NGINX, [...args, '-g', 'daemon off;']);
  try {
    await waitForHttp(readyUrl, nginx);
  } catch (error) {
    await stopChild(nginx, 'SIGTERM');
    const log = nginxFile(settings.prefix, 'error.log');
    throw new Error(`${(error as Error).message}\nerror.log:\n${log}`);
  }
  return nginx;
}
