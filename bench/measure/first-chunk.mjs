// Figure 2: milliseconds from writing the request to the arrival of the first chunk, for a stream
// of one chunk. Requests run one at a time, servers in turn. Each request on a fresh, connected
// socket with `Connection: close` (figure 2), or, with `keepAlive` (figure 2k), every request of a
// server on one HTTP/1.1 keep-alive connection opened before the warm-up, as a browser's fetch or
// iframe would reuse it: what is left is the server's own work per request, without the accept
// and the close. Whether each server really kept its connection is part of the result.
import { KeepAliveConnection, StreamExchange, streamRequest } from '../lib/http-client.mjs';
import { median, percentile, round } from '../lib/stats.mjs';

async function firstChunkMs(target, connection) {
  const request = streamRequest(target, 'throughput', 1);
  const exchange = connection
    ? await connection.exchange(request)
    : (await new StreamExchange(request).done).check(1);
  if (connection && exchange.status !== '200') throw new Error(`HTTP status ${exchange.status}`);
  if (connection && exchange.count !== 1)
    throw new Error(`expected 1 chunk, got ${exchange.count}`);
  return exchange.tFirst - exchange.t0;
}

/**
 * Returns `{ [key]: { median, p90, requests } }` over `requests` requests per server; with
 * `keepAlive`, also `connections` (opened for them: 1 when the server kept its connection) and
 * `closing` (answers that said `Connection: close`).
 */
export async function measureFirstChunk(targets, { requests, rounds, keepAlive = false, log }) {
  const samples = Object.fromEntries(targets.map(({ key }) => [key, []]));
  const connections = Object.fromEntries(
    targets.map(({ key, server }) => [
      key,
      keepAlive ? new KeepAliveConnection(server.port) : null,
    ]),
  );
  try {
    for (const target of targets) {
      for (let i = 0; i < 20; i++) await firstChunkMs(target, connections[target.key]);
    }
    const perRound = Math.ceil(requests / rounds);
    for (let r = 1; r <= rounds; r++) {
      for (const target of targets) {
        const connection = connections[target.key];
        for (let i = 0; i < perRound; i++) {
          samples[target.key].push(await firstChunkMs(target, connection));
        }
      }
    }
  } finally {
    Object.values(connections).forEach((connection) => connection?.close());
  }
  const result = {};
  for (const [key, values] of Object.entries(samples)) {
    result[key] = { median: median(values), p90: percentile(values, 90), requests: values.length };
    const connection = connections[key];
    if (connection) {
      result[key].connections = connection.connections;
      result[key].closing = connection.closing;
    }
  }
  log(
    `  ${Object.entries(result)
      .map(([key, { median: ms }]) => `${key} ${round(ms)} ms`)
      .join(', ')}`,
  );
  return result;
}

/** The servers that did not keep their keep-alive connection, as problems to print. */
export function keepAliveProblems(result) {
  return Object.entries(result ?? {}).flatMap(([key, { connections, closing }]) =>
    connections > 1 || closing > 0
      ? [
          `${key} did not keep its connection alive (${connections} connections, ${closing} answers with Connection: close)`,
        ]
      : [],
  );
}
