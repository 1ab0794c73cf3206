// Ratios against the targets, the printed summary, and the JSON result files.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BENCH_DIR } from './lib/processes.mjs';

// "Raw Node" is (a), as the issue defines it: a raw Node server writing the same script chunks,
// one `write()` each. (a2) also coalesces the chunks of a tick as this library does: a stricter
// limit, whose ratios are printed for information. For idle streams (a) and (a2) are the same
// server (one chunk written, then nothing), so only (a) is run. A target picks its value from the
// ratios, or, for an absolute one, from the figures (`pick(ratios, figures)`).
const TARGETS = [
  ['throughput: Comet / raw Node', (r) => r.throughput?.['c/a'], '>=', 0.9],
  ['throughput: Comet / Nest @Sse', (r) => r.throughput?.['c/b1'], '>=', 2],
  ['throughput: Comet / Nest 12 streaming', (r) => r.throughput?.['c/b2'], '>=', 1],
  ['throughput: Comet (async *) / raw Node, batched', (r) => r.throughput?.['c/a2'], '>=', 0.85],
  [
    'throughput: Comet (sync *) / raw Node, batched',
    (r) => r.throughput?.['c-sync/a2'],
    '>=',
    0.95,
  ],
  ['throughput: Comet over SSE / Comet iframe', (r) => r.throughput?.['c-sse/c'], '>=', 0.95],
  ['throughput: Comet over SSE / Nest @Sse', (r) => r.throughput?.['c-sse/b1'], '>=', 3],
  ['first chunk: Comet - raw Node (ms)', (r) => r.firstChunk?.['c-a'], '<=', 0.5],
  ['first chunk: Comet over SSE - Comet iframe (ms)', (r) => r.firstChunk?.['c-sse-c'], '<=', 0.3],
  [
    'first chunk (keep-alive): Comet - raw Node (ms)',
    (r) => r.firstChunkKeepAlive?.['c-a'],
    '<=',
    0.3,
  ],
  ['latency p99: Comet - raw Node (ms)', (r) => r.latency?.['p99 c-a'], '<=', 2],
  ['RSS per idle stream: Comet / raw Node', (r) => r.idleStreams?.['rss c/a'], '<=', 1.25],
  ['RSS per idle stream: Comet / bare Nest route', (r) => r.idleStreams?.['rss c/e'], '<=', 1],
  ['plain calls: Sijax / Nest @Post', (r) => r.plainCalls?.['sijax/nest'], '>=', 0.95],
  [
    'throughput: resumable (memory) / not resumable, SSE',
    (r) => r.resumeThroughput?.['c-res/c-sse'],
    '>=',
    0.9,
  ],
  [
    'throughput: resumable on Redis (batches/s)',
    (_, f) => f.resumeThroughput?.['sijax-redis']?.median,
    '>=',
    100_000,
  ],
  ['latency p99: resumable on Redis (ms)', (_, f) => f.redisLatency?.['sijax-redis']?.p99, '<=', 5],
  [
    'reconnect to first replayed batch p90: memory (ms)',
    (_, f) => f.reconnect?.['sijax-res']?.p90,
    '<=',
    50,
  ],
  [
    'reconnect to first replayed batch p90: Redis (ms)',
    (_, f) => f.reconnect?.['sijax-redis']?.p90,
    '<=',
    50,
  ],
];

/** Ratio keys holding KiB, not ratios: printed on a line of their own. */
const SHARE_KEYS = ['rss c-e KiB', 'heap c-e KiB'];

const ratio = (a, b) => (a !== undefined && b !== undefined ? a / b : undefined);
const diff = (a, b) => (a !== undefined && b !== undefined ? a - b : undefined);
const kibDiff = (a, b) => (a !== undefined && b !== undefined ? (a - b) / 1024 : undefined);

/** The keys with a value: the figures of one run pick their servers (`--only`, no redis-server). */
const defined = (values) =>
  Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));

/** First-chunk differences, the same for both variants of the figure (fresh socket, keep-alive). */
const firstChunkRatios = (f) => ({
  'c-a2': diff(f.sijax?.median, f['raw-batched']?.median),
  'c-a': diff(f.sijax?.median, f.raw?.median),
  'c-sse-c': diff(f['sijax-sse']?.median, f.sijax?.median),
  'c-sse-a': diff(f['sijax-sse']?.median, f.raw?.median),
});

export function computeRatios(figures) {
  const { throughput: t, firstChunk: f, firstChunkKeepAlive: k } = figures;
  const { latency: l, idleStreams: m, plainCalls: p } = figures;
  const { resumeThroughput: rt, redisLatency: rl } = figures;
  const ratios = {};
  const a2 = 'raw-batched';
  if (t) {
    const { sijax: c, 'sijax-sse': sse, 'sijax-sync': sync } = t;
    ratios.throughput = {
      'c/a2': ratio(c?.median, t[a2]?.median),
      'c/a': ratio(c?.median, t.raw?.median),
      'c/b1': ratio(c?.median, t['nest-sse']?.median),
      'c/b2': ratio(c?.median, t['nest12-stream']?.median),
      'c-sync/a2': ratio(sync?.median, t[a2]?.median),
      'c-sync/a': ratio(sync?.median, t.raw?.median),
      'c-sync/c': ratio(sync?.median, c?.median),
      'c-sse/c': ratio(sse?.median, c?.median),
      'c-sse/b1': ratio(sse?.median, t['nest-sse']?.median),
      'c-sse/a2': ratio(sse?.median, t[a2]?.median),
    };
  }
  if (f) ratios.firstChunk = firstChunkRatios(f);
  if (k) ratios.firstChunkKeepAlive = firstChunkRatios(k);
  if (l) {
    ratios.latency = {
      'p50 c-a2': diff(l.sijax?.p50, l[a2]?.p50),
      'p99 c-a2': diff(l.sijax?.p99, l[a2]?.p99),
      'p50 c-a': diff(l.sijax?.p50, l.raw?.p50),
      'p99 c-a': diff(l.sijax?.p99, l.raw?.p99),
    };
  }
  if (m) {
    const { sijax: c, raw: a, 'nest-hold': e } = m;
    ratios.idleStreams = {
      'rss c/a': ratio(c?.rssPerStream, a?.rssPerStream),
      'heap c/a': ratio(c?.heapPerStream, a?.heapPerStream),
      'rss c/e': ratio(c?.rssPerStream, e?.rssPerStream),
      'heap c/e': ratio(c?.heapPerStream, e?.heapPerStream),
      'rss at open c/a': ratio(c?.rssAtOpen, a?.rssAtOpen),
      'eld p99 c-a': diff(c?.eldP99, a?.eldP99),
      'rss c-e KiB': kibDiff(c?.rssPerStream, e?.rssPerStream),
      'heap c-e KiB': kibDiff(c?.heapPerStream, e?.heapPerStream),
    };
  }
  if (p && !p.skipped) ratios.plainCalls = { 'sijax/nest': ratio(p.sijax?.median, p.nest?.median) };
  if (rt) {
    const { 'sijax-sse': sse, 'sijax-res': res, 'sijax-redis': redis } = rt;
    ratios.resumeThroughput = defined({
      'c-res/c-sse': ratio(res?.median, sse?.median),
      'c-redis/c-res': ratio(redis?.median, res?.median),
      'c-redis/c-sse': ratio(redis?.median, sse?.median),
    });
  }
  if (rl) {
    const { 'sijax-sse': sse, 'sijax-redis': redis, 'redis-floor': floor } = rl;
    ratios.redisLatency = defined({
      'p50 c-redis-c-sse': diff(redis?.p50, sse?.p50),
      'p99 c-redis-c-sse': diff(redis?.p99, sse?.p99),
      'p99 c-redis-r0': diff(redis?.p99, floor?.p99),
    });
  }
  return ratios;
}

export function checkTargets(ratios, figures = {}) {
  return TARGETS.flatMap(([name, pick, op, limit]) => {
    const value = pick(ratios, figures);
    if (value === undefined || Number.isNaN(value)) return [];
    const pass = op === '>=' ? value >= limit : value <= limit;
    return [{ name, value, target: `${op} ${limit}`, pass }];
  });
}

const fixed = (value, digits = 2) => (value === undefined ? '-' : value.toFixed(digits));
const kib = (bytes) => `${fixed(bytes / 1024, 1)} KiB`;

export function printReport(result, log) {
  const { meta, figures, ratios, targets, parity, keepAlive = [], skipped } = result;
  const { throughput: t, firstChunk: f, firstChunkKeepAlive: k } = figures;
  const { latency: l, idleStreams: m, plainCalls: p } = figures;
  const { resumeThroughput: rt, redisLatency: rl, reconnect: rc } = figures;
  const rows = [];
  const row = (figure, server, value) => rows.push([figure, server, value]);
  const names = {
    raw: '(a) raw Node, naive',
    'raw-batched': '(a2) raw Node, batched',
    'nest-sse': '(b1) Nest 11 @Sse',
    'nest12-stream': '(b2) Nest 12 stream',
    sijax: '(c) Sijax Comet',
    'sijax-sse': '(c-sse) Sijax Comet, SSE',
    'sijax-sync': '(c-sync) Sijax Comet, sync *',
    'nest-hold': '(e) Nest 11, held',
    'sijax-res': '(c-res) resumable, memory',
    'sijax-redis': '(c-redis) resumable, Redis',
    'redis-floor': '(r0) bare XADD round trip',
  };
  for (const [key, v] of Object.entries(t ?? {}))
    row('1 throughput', names[key], `${Math.round(v.median)} chunks/s`);
  for (const [key, v] of Object.entries(f ?? {}))
    row('2 first chunk', names[key], `${fixed(v.median, 3)} ms (p90 ${fixed(v.p90, 3)})`);
  for (const [key, v] of Object.entries(k ?? {})) {
    const kept = v.connections === 1 && v.closing === 0 ? 'kept' : `${v.connections} connections`;
    row(
      '2k first chunk, keep-alive',
      names[key],
      `${fixed(v.median, 3)} ms (p90 ${fixed(v.p90, 3)}), ${kept}`,
    );
  }
  for (const [key, v] of Object.entries(l ?? {}))
    row('3 yield->client', names[key], `p50 ${fixed(v.p50)} ms, p99 ${fixed(v.p99)} ms`);
  for (const [key, v] of Object.entries(m ?? {})) {
    row(
      '4 idle stream',
      names[key],
      `RSS ${kib(v.rssPerStream)}, heap ${kib(v.heapPerStream)} settled; RSS ${kib(v.rssAtOpen)}, heap ${kib(v.heapAtOpen)} at open; event-loop p99 ${fixed(v.eldP99)} ms, opened in ${Math.round(v.openMs)} ms`,
    );
  }
  if (p?.skipped) row('5 plain calls', '-', `skipped: ${p.skipped}`);
  else
    for (const [key, v] of Object.entries(p ?? {}))
      row(
        '5 plain calls',
        key === 'nest' ? '(d) Nest @Post' : '(d) Sijax call',
        `${Math.round(v.median)} calls/s`,
      );
  for (const [key, v] of Object.entries(rt ?? {}))
    row('1r resumable throughput', names[key], `${Math.round(v.median)} batches/s`);
  const streams = meta?.config?.redisLatency?.streams;
  for (const [key, v] of Object.entries(rl ?? {})) {
    const value = `p50 ${fixed(v.p50)} ms, p99 ${fixed(v.p99)} ms (${streams} streams)`;
    row('3r yield->client, resumable', names[key], value);
  }
  for (const [key, v] of Object.entries(rc ?? {})) {
    const value = `${fixed(v.median, 3)} ms (p90 ${fixed(v.p90, 3)}), ${v.repetitions} cuts`;
    row('6 reconnect -> replay', names[key], value);
  }
  if (skipped?.redis) row('1r 3r 6 (Redis)', '-', `skipped: ${skipped.redis}`);
  const width = [0, 1].map((i) => Math.max(...rows.map((r) => r[i].length)));
  log('\nFigures (medians over rounds)');
  for (const [a, b, c] of rows) log(`  ${a.padEnd(width[0])}  ${b.padEnd(width[1])}  ${c}`);
  if (Object.keys(ratios).length > 0)
    log(
      '\nRatios (a: raw Node; a2: raw Node that also batches, stricter; e: bare Nest, held; c-sse: c over SSE; c-sync: c from a sync generator; c-res: c-sse, resumable; c-redis: c-res on Redis; r0: a bare XADD to the same Redis, same load)',
    );
  for (const [figure, values] of Object.entries(ratios)) {
    const shown = Object.entries(values).filter(([k]) => !SHARE_KEYS.includes(k));
    log(`  ${figure}: ${shown.map(([k, v]) => `${k} = ${fixed(v, 3)}`).join(', ')}`);
  }
  const share = ratios.idleStreams;
  if (share?.['rss c-e KiB'] !== undefined) {
    const [rss, heap] = SHARE_KEYS.map((k) => fixed(share[k], 1));
    log(`  library's own share per stream = c - e: RSS ${rss} KiB, heap ${heap} KiB (information)`);
  }
  log('\nTargets');
  if (parity.length) log(`  FAIL  parity with the library's output: ${parity.join('; ')}`);
  if (keepAlive.length) log(`  FAIL  keep-alive connections: ${keepAlive.join('; ')}`);
  for (const { name, value, target, pass } of targets) {
    const shown = fixed(value, Math.abs(value) >= 1000 ? 0 : 3);
    log(`  ${pass ? 'PASS' : 'FAIL'}  ${name}: ${shown} (target ${target})`);
  }
}

/** Writes `bench/results/<timestamp>.json` and `bench/results/latest.json`; returns the first. */
export function writeResults(result) {
  const folder = path.join(BENCH_DIR, 'results');
  mkdirSync(folder, { recursive: true });
  const file = path.join(folder, `${result.meta.startedAt.replace(/[:.]/g, '-')}.json`);
  const text = `${JSON.stringify(result, null, 2)}\n`;
  writeFileSync(file, text);
  writeFileSync(path.join(folder, 'latest.json'), text);
  return file;
}
