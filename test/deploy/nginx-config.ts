import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';

/** The example config that the README points to; the test runs this very file. */
export const EXAMPLE_CONFIG = join(__dirname, '..', '..', 'deploy', 'nginx', 'nginx.conf');

/** The two upstream servers of the example. */
const EXAMPLE_UPSTREAMS = ['127.0.0.1:3001', '127.0.0.1:3002'] as const;

export interface TestNginxSettings {
  /** A temp directory for the pid, the logs and nginx's temp files. */
  prefix: string;
  listenPort: number;
  upstreamPorts: readonly [number, number];
  /** Lines added to the `server` block, before `location /`. */
  extraServerLines: string;
  /**
   * Copies of the example's `location /` under other paths (the prefix is stripped before the
   * app sees the URL), each with a few more directives: variants that stay true to the example.
   */
  locationCopies?: readonly LocationCopy[];
}

export interface LocationCopy {
  path: string;
  directives: readonly string[];
}

/**
 * The example config with only what a test run needs changed: the ports, an unprivileged user,
 * two workers, every file path inside `prefix`, and the given test-only lines. Each rewrite must
 * find exactly one place to change, so a reshaped example fails here, loudly.
 */
export function testNginxConfig(settings: TestNginxSettings): string {
  const { prefix } = settings;
  let config = readFileSync(EXAMPLE_CONFIG, 'utf8');
  // As root, the workers must be able to enter the 0700 temp directory; otherwise it is ignored.
  config = setFirstArgument(config, 'user', userInfo().username);
  config = setFirstArgument(config, 'worker_processes', '2');
  config = setFirstArgument(config, 'pid', join(prefix, 'nginx.pid'));
  config = setFirstArgument(config, 'error_log', join(prefix, 'error.log'));
  config = setFirstArgument(config, 'access_log', join(prefix, 'access.log'));
  for (const kind of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
    config = setFirstArgument(config, `${kind}_temp_path`, join(prefix, kind));
  }
  config = setFirstArgument(config, 'listen', `127.0.0.1:${settings.listenPort}`);
  EXAMPLE_UPSTREAMS.forEach((address, i) => {
    const port = settings.upstreamPorts[i];
    config = replaceOnce(config, `server ${address} `, `server 127.0.0.1:${port} `);
  });

  // `location / {`, its directives, and the `}` at the same indentation.
  const root = /^([ \t]*)location \/ \{\n([\s\S]*?)^\1\}\n/m.exec(config);
  if (!root) throw new Error(`no "location / { … }" block in ${EXAMPLE_CONFIG}`);
  const [block, indent, body] = root;
  const inner = /^([ \t]*)\S/m.exec(body)?.[1] ?? `${indent}    `;
  const copies = (settings.locationCopies ?? []).map(({ path, directives }) => {
    const stripped = replaceOnce(
      body,
      'proxy_pass http://nest_app;',
      'proxy_pass http://nest_app/;',
    );
    const added = directives.map((directive) => `${inner}${directive}\n`).join('');
    return `${indent}location ${path} {\n${stripped}${added}${indent}}\n`;
  });
  const extra = settings.extraServerLines
    .trim()
    .split('\n')
    .map((line) => (line ? indent + line : line))
    .join('\n');
  const added = [`${indent}# Test only:\n${extra}\n`, ...copies].join('\n');
  return config.replace(block, () => `${added}\n${block}`);
}

/** Replaces the first argument of the one directive `name` (comments do not count). */
function setFirstArgument(config: string, name: string, value: string): string {
  const directive = new RegExp(`^([ \\t]*${name}[ \\t]+)[^;\\s]+`, 'gm');
  const found = config.match(directive)?.length ?? 0;
  if (found !== 1) {
    throw new Error(`expected one "${name}" directive in ${EXAMPLE_CONFIG}, found ${found}`);
  }
  return config.replace(directive, (_match, head: string) => head + value);
}

function replaceOnce(config: string, search: string, replacement: string): string {
  const found = config.split(search).length - 1;
  if (found !== 1) {
    throw new Error(`expected "${search}" once in ${EXAMPLE_CONFIG}, found it ${found} times`);
  }
  return config.replace(search, replacement);
}
