// The benchmark: `npm run bench` (full), `npm run bench -- --quick` (CI). Other flags:
//   --strict          exit 1 when a target fails (otherwise always 0)
//   --only=a,b        run some figures: throughput, first-chunk, first-chunk-keep-alive, latency,
//                     idle, plain, resume-throughput, redis-throughput, redis-latency, reconnect
//   --profile[=k,...] run the Sijax server (or the servers named: raw, raw-batched, nest-sse,
//                     nest12-stream, sijax, sijax-redis, nest-post) under --cpu-prof, print
//                     where CPU went
//   --timeline        figures 3 and 3r: when each round's late chunks were sent
// Every server runs in its own child process; this process is the load generator. The Redis-backed
// figures get a redis-server of their own, started here and stopped at the end.
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import path from 'node:path';
import { keepAliveProblems, measureFirstChunk } from './measure/first-chunk.mjs';
import { measureIdleStreams } from './measure/idle-streams.mjs';
import { measureLatency } from './measure/latency.mjs';
import { checkParity } from './measure/parity.mjs';
import { measurePlainCalls } from './measure/plain-calls.mjs';
import { measureReconnect } from './measure/reconnect.mjs';
import { measureThroughput } from './measure/throughput.mjs';
import { COMET_END, SSE_ACCEPT, SSE_END } from './lib/http-client.mjs';
import {
  BENCH_DIR,
  ROOT,
  ensureBuilt,
  ensureNest12,
  fileLimits,
  rerunWithMoreFiles,
  startServer,
} from './lib/processes.mjs';
import { startRedis } from './lib/redis-server.mjs';
import { printProfile, summarizeProfile } from './profile-summary.mjs';
import { checkTargets, computeRatios, printReport, writeResults } from './report.mjs';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const strict = argv.includes('--strict');
const timeline = argv.includes('--timeline');
const profileArg = argv.find((arg) => arg === '--profile' || arg.startsWith('--profile='));
const profiled = profileArg ? (profileArg.split('=')[1] ?? 'sijax').split(',') : [];
const FIGURES = [
  'throughput',
  'first-chunk',
  'first-chunk-keep-alive',
  'latency',
  'idle',
  'plain',
  'resume-throughput',
  'redis-throughput',
  'redis-latency',
  'reconnect',
];
const only =
  argv
    .find((arg) => arg.startsWith('--only='))
    ?.slice(7)
    .split(',') ?? FIGURES;
const unknown = only.filter((name) => !FIGURES.includes(name));
if (unknown.length) throw new Error(`unknown figure(s) ${unknown}; known: ${FIGURES}`);

const config = quick
  ? {
      throughput: { n: 20_000, rounds: 5 },
      firstChunk: { requests: 200, rounds: 4 },
      latency: { streams: 200, ticks: 20, interval: 100, rounds: 3 },
      idle: { streams: 1_000, holdMs: 2_000, rounds: 2 },
      plain: { seconds: 3, rounds: 3, connections: 50 },
      resumeThroughput: { n: 50_000, rounds: 11 },
      redisLatency: { streams: 200, ticks: 20, interval: 100, rounds: 3 },
      reconnect: { repetitions: 100, rounds: 4 },
    }
  : {
      throughput: { n: 100_000, rounds: 5 },
      firstChunk: { requests: 200, rounds: 4 },
      latency: { streams: 1_000, ticks: 30, interval: 100, rounds: 5 },
      idle: { streams: 10_000, holdMs: 5_000, rounds: 3 },
      plain: { seconds: 10, rounds: 5, connections: 50 },
      resumeThroughput: { n: 100_000, rounds: 15 },
      redisLatency: { streams: 1_000, ticks: 30, interval: 100, rounds: 5 },
      reconnect: { repetitions: 400, rounds: 4 },
    };

const log = (line) => console.log(line);
const FILE_HEADROOM = 1024;

// The idle figure holds `streams` sockets here and as many in the server.
if (only.includes('idle')) {
  rerunWithMoreFiles(config.idle.streams + FILE_HEADROOM);
  const { soft } = fileLimits();
  if (soft < config.idle.streams + FILE_HEADROOM) {
    config.idle.streams = Math.max(100, soft - FILE_HEADROOM);
    log(`WARNING: open-file limit ${soft}: the idle figure uses ${config.idle.streams} streams`);
  }
}

const started = Date.now();
ensureBuilt();
const STREAM_FIGURES = ['throughput', 'first-chunk', 'first-chunk-keep-alive', 'latency'];
const needsStreams = only.some((name) => STREAM_FIGURES.includes(name));
if (needsStreams) ensureNest12();
const RESUME_FIGURES = ['resume-throughput', 'redis-throughput', 'redis-latency', 'reconnect'];
const REDIS_FIGURES = ['redis-throughput', 'redis-latency', 'reconnect'];
const needsResume = only.some((name) => RESUME_FIGURES.includes(name));
const needsRedis = only.some((name) => REDIS_FIGURES.includes(name));

const version = (dir) =>
  JSON.parse(readFileSync(path.join(dir, 'node_modules/@nestjs/core/package.json'), 'utf8'))
    .version;
const meta = {
  startedAt: new Date(started).toISOString(),
  mode: quick ? 'quick' : 'full',
  figures: only,
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
  cpus: `${cpus().length} x ${cpus()[0]?.model}`,
  memoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
  openFiles: fileLimits(),
  loadAverageAtStart: loadavg()[0],
  nest11: version(ROOT),
  nest12: needsStreams ? version(path.join(BENCH_DIR, 'nest12')) : undefined,
  config,
};
log(
  `nestjs-sijax bench (${meta.mode}): Node ${meta.node}, ${meta.cpus}, Nest ${meta.nest11} / ${meta.nest12 ?? '-'}`,
);
if (meta.loadAverageAtStart > cpus().length / 2) {
  log(
    `WARNING: load average ${meta.loadAverageAtStart.toFixed(1)} on ${cpus().length} CPUs: something else is running, expect noise`,
  );
}

const profileDir = profiled.length
  ? path.join(BENCH_DIR, 'results', `profile-${Date.now()}`)
  : undefined;
// The Redis-backed figures' redis-server: without one they are skipped, and said so.
const redis = needsRedis ? await startRedis() : undefined;
if (redis?.skipped) log(`WARNING: the Redis figures are skipped: ${redis.skipped}`);
const withRedis = redis !== undefined && !redis.skipped;
if (withRedis) meta.redis = redis.version;
const kinds = [
  ...(needsStreams ? ['raw', 'raw-batched', 'nest-sse', 'nest12-stream', 'sijax'] : []),
  ...(only.includes('plain') ? ['sijax', 'nest-post'] : []),
  ...(needsResume ? ['sijax'] : []),
  ...(withRedis ? ['sijax-redis'] : []),
  ...(withRedis && only.includes('redis-latency') ? ['redis-floor'] : []),
];
const servers = {};
try {
  await Promise.all(
    [...new Set(kinds)].map(async (kind) => {
      servers[kind] = await startServer(kind, {
        profileDir: profiled.includes(kind) ? profileDir : undefined,
        args: kind === 'sijax-redis' || kind === 'redis-floor' ? [`--redis=${redis.port}`] : [],
      });
    }),
  );
} catch (error) {
  await Promise.all(Object.values(servers).map((server) => server.stop()));
  await redis?.stop?.();
  throw error;
}

const figures = {};
/** Seconds each figure took (its warm-up included), for the result's `meta.figureSeconds`. */
const figureSeconds = {};
async function timed(figure, measuring) {
  const started = Date.now();
  try {
    return await measuring;
  } finally {
    figureSeconds[figure] = Math.round((Date.now() - started) / 100) / 10;
  }
}
let parity = [];
let keepAlive = [];
try {
  // (c-sse) and (c-sync) are the Sijax server's process too: the same handler asked for an event
  // stream (the fetch transport), and the same chunks from a plain generator (`stream_sync`).
  const streams = [
    { key: 'raw', server: servers.raw, terminator: COMET_END },
    { key: 'raw-batched', server: servers['raw-batched'], terminator: COMET_END },
    { key: 'nest-sse', server: servers['nest-sse'], terminator: SSE_END },
    { key: 'nest12-stream', server: servers['nest12-stream'], terminator: COMET_END },
    { key: 'sijax', server: servers.sijax, terminator: COMET_END },
    { key: 'sijax-sse', server: servers.sijax, terminator: SSE_END, headers: SSE_ACCEPT },
    { key: 'sijax-sync', server: servers.sijax, terminator: COMET_END, callback: 'stream_sync' },
  ];
  // (c-res) The same handler again, registered `resumable: true` (`stream_res`), over the fetch
  // transport, with the default store (memory); (c-redis) the same in the server whose store is a
  // RedisCallStore. Each stream is a new resumable call: a fresh `sijax_call`.
  const resumable = { terminator: SSE_END, headers: SSE_ACCEPT, callback: 'stream_res' };
  const resumeStreams = [
    { key: 'sijax-sse', server: servers.sijax, terminator: SSE_END, headers: SSE_ACCEPT },
    { key: 'sijax-res', server: servers.sijax, ...resumable, resumable: true },
    { key: 'sijax-redis', server: servers['sijax-redis'], ...resumable, resumable: true },
  ].filter(({ server }) => server);
  // The first chunk's figures leave out (c-sync): one chunk takes the same path either way.
  const firstChunkStreams = streams.filter(({ key }) => key !== 'sijax-sync');
  if (needsStreams || needsResume) {
    parity = await checkParity(servers);
    parity.forEach((problem) => log(`WARNING: ${problem}`));
  }
  if (only.includes('throughput')) {
    log(`1. Throughput: one stream of ${config.throughput.n} chunks`);
    figures.throughput = await timed(
      'throughput',
      measureThroughput(streams, { ...config.throughput, log }),
    );
  }
  if (only.includes('first-chunk')) {
    log(`2. Time to first chunk: ${config.firstChunk.requests} requests per server, fresh sockets`);
    figures.firstChunk = await timed(
      'firstChunk',
      measureFirstChunk(firstChunkStreams, { ...config.firstChunk, log }),
    );
  }
  if (only.includes('first-chunk-keep-alive')) {
    log(
      `2k. Time to first chunk: ${config.firstChunk.requests} requests per server, one keep-alive connection each`,
    );
    const options = { ...config.firstChunk, keepAlive: true, log };
    figures.firstChunkKeepAlive = await timed(
      'firstChunkKeepAlive',
      measureFirstChunk(firstChunkStreams, options),
    );
    keepAlive = keepAliveProblems(figures.firstChunkKeepAlive);
    keepAlive.forEach((problem) => log(`WARNING: ${problem}`));
  }
  if (only.includes('latency')) {
    const { streams: count, interval } = config.latency;
    log(`3. Yield-to-client latency: ${count} streams, a chunk every ${interval} ms each`);
    const comet = streams.filter(({ key }) => ['raw', 'raw-batched', 'sijax'].includes(key));
    figures.latency = await timed(
      'latency',
      measureLatency(comet, { ...config.latency, timeline, log }),
    );
  }
  if (only.includes('idle')) {
    log(`4. Idle streams: ${config.idle.streams} open, a fresh server per round`);
    const idle = ['raw', 'nest-hold', 'sijax'].map((kind) => ({ key: kind, kind }));
    figures.idleStreams = await timed(
      'idleStreams',
      measureIdleStreams(idle, { ...config.idle, log }),
    );
  }
  if (only.includes('plain')) {
    const { seconds, connections } = config.plain;
    log(`5. Plain calls: autocannon, ${connections} connections, ${seconds} s per round`);
    const targets = [
      { key: 'nest', server: servers['nest-post'], path: '/plain' },
      { key: 'sijax', server: servers.sijax, path: '/sijax' },
    ];
    figures.plainCalls = await timed(
      'plainCalls',
      measurePlainCalls(targets, { ...config.plain, log }),
    );
  }
  // 1r: (c-sse) against (c-res) for resume-throughput, (c-res) against (c-redis) for
  // redis-throughput; one figure, the servers in turn, when both are asked for.
  const resumeKeys = [
    ...(only.includes('resume-throughput') ? ['sijax-sse', 'sijax-res'] : []),
    ...(only.includes('redis-throughput') ? ['sijax-res', 'sijax-redis'] : []),
  ];
  const resumeTargets = resumeStreams.filter(({ key }) => resumeKeys.includes(key));
  if (resumeTargets.length > 0) {
    log(
      `1r. Resumable throughput: one stream of ${config.resumeThroughput.n} batches (${resumeTargets.map(({ key }) => key).join(', ')})`,
    );
    const options = { ...config.resumeThroughput, log };
    figures.resumeThroughput = await timed(
      'resumeThroughput',
      measureThroughput(resumeTargets, options),
    );
  }
  if (only.includes('redis-latency') && withRedis) {
    const { streams: count, interval } = config.redisLatency;
    log(
      `3r. Yield-to-client latency, resumable on Redis: ${count} streams, a chunk every ${interval} ms each`,
    );
    const targets = resumeStreams.filter(({ key }) => ['sijax-sse', 'sijax-redis'].includes(key));
    // (r0) The floor: the same schedule of bare XADDs to the same redis-server, no HTTP.
    const floor = (target, { streams, ticks, interval }) =>
      target.server.call('floor', { streams, ticks, interval });
    targets.push({ key: 'redis-floor', server: servers['redis-floor'], round: floor });
    figures.redisLatency = await timed(
      'redisLatency',
      measureLatency(targets, { ...config.redisLatency, timeline, log }),
    );
  }
  if (only.includes('reconnect')) {
    const { repetitions } = config.reconnect;
    log(`6. Reconnect to the first replayed batch: ${repetitions} cut calls per store`);
    const targets = resumeStreams.filter(({ key }) => ['sijax-res', 'sijax-redis'].includes(key));
    figures.reconnect = await timed(
      'reconnect',
      measureReconnect(targets, { ...config.reconnect, log }),
    );
  }
} finally {
  await Promise.all(Object.values(servers).map((server) => server.stop()));
  await redis?.stop?.();
}

const ratios = computeRatios(figures);
const targets = checkTargets(ratios, figures);
const result = { meta, figures, ratios, targets, parity, keepAlive };
if (redis?.skipped) result.skipped = { redis: redis.skipped };
printReport(result, log);
if (profileDir) {
  result.profiles = readdirSync(profileDir).map((file) =>
    summarizeProfile(path.join(profileDir, file)),
  );
  result.profiles.forEach((summary) => printProfile(summary, log));
}
result.meta.loadAverageAtEnd = loadavg()[0];
result.meta.seconds = Math.round((Date.now() - started) / 1000);
result.meta.figureSeconds = figureSeconds;
const perFigure = Object.entries(figureSeconds).map(([figure, seconds]) => `${figure} ${seconds}`);
log(`\nSeconds per figure: ${perFigure.join(', ')}`);
log(`\nWrote ${path.relative(ROOT, writeResults(result))} (${result.meta.seconds} s)`);
const failed = parity.length > 0 || keepAlive.length > 0 || targets.some(({ pass }) => !pass);
process.exitCode = strict && failed ? 1 : 0;
