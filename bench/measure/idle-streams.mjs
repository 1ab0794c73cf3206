// Figure 4: memory per open idle stream, and event-loop delay while `streams` of them are open.
// Idle: the handler sent one chunk and awaits a promise that the runner resolves (the 'release'
// gate). Every round gets a fresh server process, as RSS rarely shrinks back after a round.
import { StreamExchange, openMany, streamBody } from '../lib/http-client.mjs';
import { startServer } from '../lib/processes.mjs';
import { median } from '../lib/stats.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function openIdle(server, count) {
  const body = streamBody('idle', 1);
  const started = performance.now();
  const exchanges = await openMany(
    count,
    256,
    () => new StreamExchange({ port: server.port, body }),
  );
  exchanges.forEach((exchange) => exchange.check());
  const openMs = performance.now() - started;
  return { openMs, release: () => releaseAll(server, exchanges) };
}

async function releaseAll(server, exchanges) {
  await server.call('open', 'release');
  await Promise.all(exchanges.map((exchange) => exchange.done));
  exchanges.forEach((exchange) => exchange.check(1));
}

async function idleRound(kind, { streams, holdMs }) {
  const server = await startServer(kind);
  try {
    const warmUp = await openIdle(server, 100);
    await warmUp.release();
    const before = await server.call('mem');
    const { openMs, release } = await openIdle(server, streams);
    const after = await server.call('mem');
    await server.call('eld-start');
    await sleep(holdMs);
    const eventLoopDelay = await server.call('eld-stop');
    await release();
    return {
      rssPerStream: (after.rss - before.rss) / streams,
      heapPerStream: (after.heapUsed - before.heapUsed) / streams,
      externalPerStream: (after.external - before.external) / streams,
      eldP99: eventLoopDelay.p99,
      openMs,
    };
  } finally {
    await server.stop();
  }
}

/** Returns `{ [kind]: { rssPerStream, heapPerStream, eldP99, openMs (medians), rounds } }`. */
export async function measureIdleStreams(kinds, options) {
  const { rounds, log } = options;
  const results = Object.fromEntries(kinds.map(({ key }) => [key, []]));
  for (let r = 1; r <= rounds; r++) {
    for (const { key, kind } of kinds) results[key].push(await idleRound(kind, options));
    const line = kinds.map(({ key }) => {
      const { rssPerStream, heapPerStream, eldP99 } = results[key].at(-1);
      return `${key} rss ${(rssPerStream / 1024).toFixed(1)} KiB heap ${(heapPerStream / 1024).toFixed(1)} KiB eld-p99 ${eldP99.toFixed(2)} ms`;
    });
    log(`  round ${r}/${rounds}: ${line.join(', ')}`);
  }
  const summary = {};
  for (const [key, list] of Object.entries(results)) {
    const pick = (field) => median(list.map((entry) => entry[field]));
    summary[key] = {
      rssPerStream: pick('rssPerStream'),
      heapPerStream: pick('heapPerStream'),
      externalPerStream: pick('externalPerStream'),
      eldP99: pick('eldP99'),
      openMs: pick('openMs'),
      rounds: list,
    };
  }
  return summary;
}
