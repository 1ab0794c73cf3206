// Figure 2: milliseconds from writing the request (on a fresh, connected socket) to the arrival of
// the first chunk, for a stream of one chunk. Requests run one at a time, servers in turn.
import { StreamExchange, streamBody } from '../lib/http-client.mjs';
import { median, percentile, round } from '../lib/stats.mjs';

async function firstChunkMs({ server, terminator }) {
  const body = streamBody('throughput', 1);
  const exchange = await new StreamExchange({ port: server.port, body, terminator }).done;
  exchange.check(1);
  return exchange.tFirst - exchange.t0;
}

/** Returns `{ [key]: { median, p90, samples } }` over `requests` requests per server. */
export async function measureFirstChunk(targets, { requests, rounds, log }) {
  const samples = Object.fromEntries(targets.map(({ key }) => [key, []]));
  for (const target of targets) for (let i = 0; i < 20; i++) await firstChunkMs(target);
  const perRound = Math.ceil(requests / rounds);
  for (let r = 1; r <= rounds; r++) {
    for (const target of targets) {
      for (let i = 0; i < perRound; i++) samples[target.key].push(await firstChunkMs(target));
    }
  }
  const result = {};
  for (const [key, values] of Object.entries(samples)) {
    result[key] = { median: median(values), p90: percentile(values, 90), requests: values.length };
  }
  log(
    `  ${Object.entries(result)
      .map(([key, { median: ms }]) => `${key} ${round(ms)} ms`)
      .join(', ')}`,
  );
  return result;
}
