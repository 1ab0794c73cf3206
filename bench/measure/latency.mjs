// Figure 3: with `streams` streams open, each handler sends a chunk every `interval` ms stamped
// with the wall clock (`performance.timeOrigin + performance.now()`, shared by the processes of
// one machine); the client subtracts it from the arrival time. Ticks start together, once every
// stream is open (the runner opens the server's 'go' gate), each at a random phase. A chunk ends
// with its target's terminator (a script chunk's or an SSE commands frame's); the stamp is the
// number after the last `STAMP` before it (in a script chunk its `<` is escaped, which
// `parseFloat` stops at as it stops at `<`). With `timeline`, each round also prints when its
// late chunks were sent: per quarter second from the round's first stamp, the p99 and how many
// took more than 5 ms (where a tail comes from: the round's start, its end, a stall mid-round),
// and the target's server process's CPU time and how long its threads waited for a core.
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { StreamExchange, openMany, streamRequest } from '../lib/http-client.mjs';
import { median, percentile } from '../lib/stats.mjs';
import { STAMP } from '../servers/shared.mjs';

/** Late chunks per quarter second of a round: `<quarter>:<p99 ms>/<chunks over 5 ms>`. */
function timelineOf(stamps, delays) {
  const first = Math.min(...stamps);
  const quarters = [];
  stamps.forEach((stamp, i) =>
    (quarters[Math.floor((stamp - first) / 250)] ??= []).push(delays[i]),
  );
  return quarters
    .map(
      (list, quarter) =>
        list &&
        `${quarter}:${percentile(list, 99).toFixed(1)}/${list.filter((delay) => delay > 5).length}`,
    )
    .filter(Boolean)
    .join(' ');
}

/**
 * A process's threads' CPU time and run-queue wait so far, in ms (Linux's
 * `/proc/<pid>/task/<tid>/schedstat`), or undefined where there is no such file.
 */
function schedstat(pid) {
  try {
    let run = 0;
    let wait = 0;
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      try {
        const [ran, waited] = readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(
          ' ',
        );
        run += Number(ran) / 1e6;
        wait += Number(waited) / 1e6;
      } catch {
        // A thread that ended meanwhile.
      }
    }
    return { run, wait };
  } catch {
    return undefined;
  }
}

/** `cpu <ms>, waited <ms> for a core` between two `schedstat` readings, or ''. */
function cpuOf(before, after) {
  if (!before || !after) return '';
  const run = (after.run - before.run).toFixed(0);
  return `; server cpu ${run} ms, waited ${(after.wait - before.wait).toFixed(0)} ms for a core`;
}

async function latencyRound(target, { streams, ticks, interval, timeline }) {
  const delays = [];
  const stamps = [];
  const END = target.terminator.toString('latin1');
  const open = () => {
    let pending = '';
    const onData = (data, time) => {
      const arrival = performance.timeOrigin + time;
      pending += data.toString('latin1');
      for (let end = pending.indexOf(END); end >= 0; end = pending.indexOf(END)) {
        const at = pending.lastIndexOf(STAMP, end);
        if (at >= 0) {
          const stamp = parseFloat(pending.slice(at + STAMP.length, end));
          delays.push(arrival - stamp);
          stamps.push(stamp);
        }
        pending = pending.slice(end + END.length);
      }
    };
    // A resumable target's streams get a call id each.
    return new StreamExchange({ ...streamRequest(target, 'latency', ticks, interval), onData });
  };
  const exchanges = await openMany(streams, 200, open);
  const before = timeline ? schedstat(target.server.pid) : undefined;
  await target.server.call('open', 'go');
  await Promise.all(exchanges.map((exchange) => exchange.done));
  const cpu = timeline ? cpuOf(before, schedstat(target.server.pid)) : '';
  exchanges.forEach((exchange) => exchange.check(ticks + 1));
  const late = timeline ? timelineOf(stamps, delays) + cpu : undefined;
  return { p50: percentile(delays, 50), p99: percentile(delays, 99), count: delays.length, late };
}

/**
 * `targets`: `{ key, server, terminator, callback?, headers?, resumable? }`, or `{ key, server,
 * round(target, { streams, ticks, interval }) }` for a target timed by itself. Returns `{ [key]: {
 * p50, p99, rounds: [{ p50, p99, count }] } }`, medians over rounds.
 */
export async function measureLatency(targets, options) {
  const { rounds, log } = options;
  const results = Object.fromEntries(targets.map(({ key }) => [key, []]));
  // A target with a `round` of its own (the Redis floor) measures itself, in the same rounds.
  const measure = (target, settings) => (target.round ?? latencyRound)(target, settings);
  for (const target of targets) await measure(target, { ...options, ticks: 3, timeline: false });
  for (let r = 1; r <= rounds; r++) {
    for (const target of targets) results[target.key].push(await measure(target, options));
    const line = targets.map(({ key }) => {
      const { p50, p99 } = results[key].at(-1);
      return `${key} p50 ${p50.toFixed(2)} / p99 ${p99.toFixed(2)} ms`;
    });
    log(`  round ${r}/${rounds}: ${line.join(', ')}`);
    for (const { key } of targets) {
      const { late } = results[key].at(-1);
      if (late) log(`    ${key} late chunks per quarter second: ${late}`);
    }
  }
  const summary = {};
  for (const [key, list] of Object.entries(results)) {
    summary[key] = {
      p50: median(list.map(({ p50 }) => p50)),
      p99: median(list.map(({ p99 }) => p99)),
      rounds: list,
    };
  }
  return summary;
}
