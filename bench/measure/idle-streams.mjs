// Figure 4: memory per open idle stream, and event-loop delay while `streams` of them are open.
// Idle: the handler sent one chunk and awaits a promise that the runner resolves (the 'release'
// gate). Every round gets a fresh server process, as RSS rarely shrinks back after a round.
// Memory is read twice, each time after full collections: right after the streams opened, and
// settled, once the process has been idle for SETTLE_MS. An idle Node process gets V8's memory
// reducer by itself (a compacting collection some 8 to 12 s after a full one), which returns the
// pages that the garbage of the opening left fragmented; the settled reading is what the streams
// hold. The baseline before opening is read settled too.
import { StreamExchange, openMany, streamBody } from '../lib/http-client.mjs';
import { startServer } from '../lib/processes.mjs';
import { median } from '../lib/stats.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const SETTLE_MS = 12_000;

/** Memory once SETTLE_MS have passed since `since`, a full collection (which arms the reducer). */
async function settledMemory(server, since) {
  await sleep(since + SETTLE_MS - performance.now());
  return server.call('mem');
}

/**
 * Opens `count` idle streams on `server` (`request`: `{ headers?, terminator? }`, what a stream
 * target adds, as for the SSE transport); resolves once each got its first chunk, with `release`.
 */
export async function openIdle(server, count, { headers, terminator } = {}) {
  const body = streamBody('idle', 1);
  const started = performance.now();
  const exchanges = await openMany(
    count,
    256,
    () => new StreamExchange({ port: server.port, body, headers, terminator }),
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

async function idleRound({ kind, ...request }, { streams, holdMs }) {
  const server = await startServer(kind);
  try {
    const warmUp = await openIdle(server, 100, request);
    await warmUp.release();
    const collected = performance.now();
    await server.call('mem');
    const before = await settledMemory(server, collected);
    const { openMs, release } = await openIdle(server, streams, request);
    const opened = performance.now();
    const after = await server.call('mem');
    await server.call('eld-start');
    await sleep(holdMs);
    const eventLoopDelay = await server.call('eld-stop');
    const settled = await settledMemory(server, opened);
    await release();
    const per = (field, from, to) => (to[field] - from[field]) / streams;
    return {
      rssPerStream: per('rss', before, settled),
      heapPerStream: per('heapUsed', before, settled),
      rssAtOpen: per('rss', before, after),
      heapAtOpen: per('heapUsed', before, after),
      eldP99: eventLoopDelay.p99,
      openMs,
    };
  } finally {
    await server.stop();
  }
}

/**
 * `kinds`: `{ key, kind, headers?, terminator? }`, `kind` the server to start. Returns `{ [key]:
 * { rssPerStream, heapPerStream (settled), rssAtOpen, heapAtOpen, eldP99, openMs (medians),
 * rounds } }`.
 */
export async function measureIdleStreams(kinds, options) {
  const { rounds, log } = options;
  const results = Object.fromEntries(kinds.map(({ key }) => [key, []]));
  for (let r = 1; r <= rounds; r++) {
    for (const target of kinds) results[target.key].push(await idleRound(target, options));
    const line = kinds.map(({ key }) => {
      const { rssPerStream, heapPerStream, rssAtOpen, eldP99 } = results[key].at(-1);
      const kib = (bytes) => (bytes / 1024).toFixed(1);
      return `${key} rss ${kib(rssPerStream)} KiB (at open ${kib(rssAtOpen)}) heap ${kib(heapPerStream)} KiB eld-p99 ${eldP99.toFixed(2)} ms`;
    });
    log(`  round ${r}/${rounds}: ${line.join(', ')}`);
  }
  const summary = {};
  for (const [key, list] of Object.entries(results)) {
    const pick = (field) => median(list.map((entry) => entry[field]));
    summary[key] = {
      rssPerStream: pick('rssPerStream'),
      heapPerStream: pick('heapPerStream'),
      rssAtOpen: pick('rssAtOpen'),
      heapAtOpen: pick('heapAtOpen'),
      eldP99: pick('eldP99'),
      openMs: pick('openMs'),
      rounds: list,
    };
  }
  return summary;
}
