// Figure 5: plain (non-streaming) calls per second under autocannon, a Nest `@Post()` route and a
// `@SijaxCallback` answering the same array, in turn. Autocannon runs in the runner's process.
import { createRequire } from 'node:module';
import path from 'node:path';
import { BENCH_DIR } from '../lib/processes.mjs';
import { sijaxBody } from '../lib/http-client.mjs';
import { summarize } from '../lib/stats.mjs';

/** Autocannon from the root devDependencies, or else from a `bench/tools` install. */
function loadAutocannon() {
  for (const base of [import.meta.url, path.join(BENCH_DIR, 'tools', 'package.json')]) {
    try {
      return createRequire(base)('autocannon');
    } catch {
      // try the next place
    }
  }
  return undefined;
}

async function callsPerSecond(autocannon, { server, path: route }, { connections, seconds }) {
  const result = await autocannon({
    url: `http://127.0.0.1:${server.port}${route}`,
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: sijaxBody('plain', []),
    connections,
    duration: seconds,
  });
  if (result.errors || result.timeouts || result.non2xx) {
    throw new Error(
      `${route}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx`,
    );
  }
  return result.requests.average;
}

/** `targets`: `{ key, server, path }`. Returns `{ [key]: { median, samples } }`, or `{ skipped }`. */
export async function measurePlainCalls(targets, { seconds, rounds, connections, log }) {
  const autocannon = loadAutocannon();
  if (!autocannon) return { skipped: 'autocannon is not installed (npm i -D autocannon)' };
  const samples = Object.fromEntries(targets.map(({ key }) => [key, []]));
  for (const target of targets)
    await callsPerSecond(autocannon, target, { connections, seconds: 1 });
  for (let r = 1; r <= rounds; r++) {
    for (const target of targets) {
      samples[target.key].push(await callsPerSecond(autocannon, target, { connections, seconds }));
    }
    log(
      `  round ${r}/${rounds}: ${targets.map(({ key }) => `${key} ${Math.round(samples[key].at(-1))}/s`).join(', ')}`,
    );
  }
  return summarize(samples);
}
