// Figure 1: chunks per second of one stream of `n` chunks, from the request being written to the
// last chunk arriving. One warm-up stream per server, then rounds in turn (a a2 b1 ... c, a2 b1 ... c a, ...).
import { StreamExchange, streamRequest } from '../lib/http-client.mjs';
import { summarize } from '../lib/stats.mjs';

async function chunksPerSecond(target, n) {
  const exchange = await new StreamExchange(streamRequest(target, 'throughput', n)).done;
  exchange.check(n);
  return n / ((exchange.tLast - exchange.t0) / 1000);
}

/** `targets`: `{ key, server, terminator, callback?, headers? }`. Returns `{ [key]: { median, samples } }`. */
export async function measureThroughput(targets, { n, rounds, log }) {
  const samples = Object.fromEntries(targets.map(({ key }) => [key, []]));
  for (const target of targets) await chunksPerSecond(target, Math.min(n, 10_000));
  for (let round = 1; round <= rounds; round++) {
    // Each round starts one target further on: targets sharing a server process (c-sse and
    // c-res) take turns running after the other, which pays for the other's garbage.
    for (let i = 0; i < targets.length; i++) {
      const target = targets[(round - 1 + i) % targets.length];
      samples[target.key].push(await chunksPerSecond(target, n));
    }
    log(
      `  round ${round}/${rounds}: ${targets.map(({ key }) => `${key} ${Math.round(samples[key].at(-1))}/s`).join(', ')}`,
    );
  }
  return summarize(samples);
}
