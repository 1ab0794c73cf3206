// Where a server's memory per idle stream goes, by kind of object (the idle figure only gives
// totals): for each server, one process, two warm-ups, a heap snapshot, `streams` idle streams
// opened, a second snapshot. Per stream: how many more objects of each kind (constructor,
// function, kind of string or array) the second snapshot holds, their own size, and what the new
// ones retain.
//   node bench/heap-per-stream.mjs [--streams=300] [--top=30] [--keep] [key ...]
// Keys: raw, nest-hold, sijax, sijax-sse (the Sijax server asked for an event stream); by default
// nest-hold, sijax and sijax-sse. Snapshots are deterministic where RSS is not: a few hundred
// streams are enough. Each key after the first is compared with the first: what it holds beyond.
// The result (`heap-<time>.json`) stays in bench/results/, and the snapshots too with --keep (to
// open in Chrome's DevTools, Memory tab).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SSE_ACCEPT, SSE_END } from './lib/http-client.mjs';
import { newObjects, readSnapshot } from './lib/heap-snapshot.mjs';
import { BENCH_DIR, ensureBuilt, fileLimits, startServer } from './lib/processes.mjs';
import { openIdle } from './measure/idle-streams.mjs';

const TARGETS = {
  raw: { kind: 'raw' },
  'nest-hold': { kind: 'nest-hold' },
  sijax: { kind: 'sijax' },
  'sijax-sse': { kind: 'sijax', headers: SSE_ACCEPT, terminator: SSE_END },
};

const argv = process.argv.slice(2);
const option = (name, fallback) =>
  Number(argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const streams = option('streams', 300);
const top = option('top', 30);
const keep = argv.includes('--keep');
const keys = argv.filter((arg) => !arg.startsWith('--'));
if (keys.length === 0) keys.push('nest-hold', 'sijax', 'sijax-sse');
const unknown = keys.filter((key) => !TARGETS[key]);
if (unknown.length) throw new Error(`unknown key(s) ${unknown}; known: ${Object.keys(TARGETS)}`);

// The streams' sockets are open here and in the server.
if (fileLimits().soft < streams + 1024) {
  throw new Error(
    `open-file limit ${fileLimits().soft}: raise it (ulimit -n) or open fewer streams`,
  );
}

const folder = path.join(BENCH_DIR, 'results');
mkdirSync(folder, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const kib = (bytes) => (bytes / 1024).toFixed(2);

async function measure(key) {
  const { kind, ...request } = TARGETS[key];
  const server = await startServer(kind);
  const files = ['before', 'after'].map((when) =>
    path.join(folder, `heap-${stamp}-${key}-${when}.heapsnapshot`),
  );
  try {
    // Two warm-ups: lazy initialisation, compiled code and caches belong to neither snapshot.
    for (let i = 0; i < 2; i++) await (await openIdle(server, 100, request)).release();
    const memBefore = await server.call('mem');
    await server.call('snapshot', files[0]);
    const { release } = await openIdle(server, streams, request);
    const memAfter = await server.call('mem');
    await server.call('snapshot', files[1]);
    await release();
    const { groups, strings } = newObjects(readSnapshot(files[0]), readSnapshot(files[1]));
    const per = (value) => value / streams;
    const memory = Object.fromEntries(
      ['rss', 'heapUsed', 'external', 'arrayBuffers'].map((field) => [
        field,
        per(memAfter[field] - memBefore[field]),
      ]),
    );
    const perStream = Object.fromEntries(
      Object.entries(groups).map(([name, { count, size, retained }]) => [
        name,
        { count: per(count), size: per(size), retained: per(retained) },
      ]),
    );
    const stringsPerStream = Object.fromEntries(
      Object.entries(strings).map(([text, { count, size }]) => [
        text,
        { count: per(count), size: per(size) },
      ]),
    );
    return { memory, groups: perStream, strings: stringsPerStream };
  } finally {
    await server.stop();
    if (!keep) files.forEach((file) => rmSync(file, { force: true }));
  }
}

function print(key, { memory, groups, strings }) {
  const total = Object.values(groups).reduce((sum, { size }) => sum + size, 0);
  console.log(
    `\n${key}: per stream, ${streams} streams: ${kib(total)} KiB in new objects (heapUsed ${kib(memory.heapUsed)} KiB, external ${kib(memory.external)} KiB, arrayBuffers ${kib(memory.arrayBuffers)} KiB, RSS ${kib(memory.rss)} KiB)`,
  );
  console.log(
    `  ${'objects'.padEnd(52)} ${'count'.padStart(6)} ${'own B'.padStart(8)} ${'retained B'.padStart(11)}`,
  );
  const sorted = Object.entries(groups).sort((a, b) => b[1].size - a[1].size);
  for (const [name, { count, size, retained }] of sorted.slice(0, top)) {
    if (size < 1) break;
    console.log(
      `  ${name.slice(0, 52).padEnd(52)} ${count.toFixed(2).padStart(6)} ${size.toFixed(0).padStart(8)} ${retained.toFixed(0).padStart(11)}`,
    );
  }
  const big = Object.entries(strings)
    .sort((a, b) => b[1].size - a[1].size)
    .slice(0, 8);
  console.log('  largest new strings, per stream:');
  for (const [text, { count, size }] of big) {
    console.log(`    ${size.toFixed(0).padStart(6)} B  x${count.toFixed(2)}  ${text}`);
  }
}

/** What `key` holds per stream beyond `base`, by kind of object: more of it, or a kind `base` lacks. */
function beyond(key, base, results) {
  const theirs = results[base].groups;
  const rows = Object.entries(results[key].groups)
    .map(([name, { count, size }]) => {
      const other = theirs[name] ?? { count: 0, size: 0 };
      return [name, count - other.count, size - other.size, !theirs[name]];
    })
    .filter(([, , size]) => size >= 8)
    .sort((a, b) => b[2] - a[2]);
  const sum = rows.reduce((total, row) => total + row[2], 0);
  const fewer = Object.entries(theirs).reduce(
    (total, [name, { size }]) => total + Math.max(0, size - (results[key].groups[name]?.size ?? 0)),
    0,
  );
  console.log(
    `\n${key} beyond ${base}, per stream: ${kib(sum)} KiB more in these kinds, ${kib(fewer)} KiB less in others (* ${base} has none)`,
  );
  for (const [name, count, size, absent] of rows.slice(0, top)) {
    const mark = absent ? '*' : ' ';
    console.log(
      `  ${mark} ${name.slice(0, 50).padEnd(50)} ${count.toFixed(2).padStart(6)} ${size.toFixed(0).padStart(8)} B`,
    );
  }
}

ensureBuilt();
const results = {};
for (const key of keys) {
  results[key] = await measure(key);
  print(key, results[key]);
}
for (const key of keys.slice(1)) beyond(key, keys[0], results);
const file = path.join(folder, `heap-${stamp}.json`);
writeFileSync(file, `${JSON.stringify({ streams, results }, null, 2)}\n`);
console.log(`\nWrote ${path.relative(process.cwd(), file)}`);
