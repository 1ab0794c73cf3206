// Where a server spent its CPU, from a `.cpuprofile` (as `node --cpu-prof` writes it): busy time
// (idle left out) by origin, top functions by self time, and this library's functions by total
// time (self plus callees). Alone: `node bench/profile-summary.mjs <file.cpuprofile> [top]`.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where a script lives: this library, a package of node_modules, Node itself, or the bench. */
function origin(url) {
  if (!url) return '(native, GC, VM)';
  if (url.startsWith('node:')) return 'node';
  const pkg = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (pkg) return pkg[1];
  if (url.includes('/dist/lib/')) return 'nestjs-sijax';
  if (url.includes('/bench/')) return 'bench';
  return url;
}

function functionKey({ functionName, url, lineNumber }) {
  const file = url.replace(/^.*?(node_modules\/|dist\/lib\/|bench\/)/, '$1');
  return `${functionName || '(anonymous)'}${url ? ` ${file}:${lineNumber + 1}` : ''}`;
}

const add = (map, key, ms) => map.set(key, (map.get(key) ?? 0) + ms);

export function summarizeProfile(file, top = 15) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parentOf.set(child, node.id);
  const selfMs = new Map();
  profile.samples.forEach((id, i) => add(selfMs, id, profile.timeDeltas[i] / 1000));

  const self = new Map();
  const total = new Map();
  const origins = new Map();
  let busy = 0;
  for (const [id, ms] of selfMs) {
    const { callFrame } = byId.get(id);
    if (callFrame.functionName === '(idle)') continue;
    busy += ms;
    add(self, functionKey(callFrame), ms);
    add(origins, origin(callFrame.url), ms);
    const seen = new Set();
    for (let at = id; at !== undefined; at = parentOf.get(at)) {
      const frame = byId.get(at).callFrame;
      const key = functionKey(frame);
      if (origin(frame.url) === 'nestjs-sijax' && !seen.has(key)) add(total, key, ms);
      seen.add(key);
    }
  }
  const rank = (map, n) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, ms]) => ({
        name,
        ms: Math.round(ms),
        percent: Number(((100 * ms) / busy).toFixed(1)),
      }));
  return {
    file,
    busyMs: Math.round(busy),
    origins: rank(origins, 8),
    selfTime: rank(self, top),
    libraryTotalTime: rank(total, top),
  };
}

export function printProfile(summary, log) {
  const list = (title, rows) => {
    log(title);
    for (const { name, ms, percent } of rows)
      log(`  ${String(percent).padStart(5)}%  ${String(ms).padStart(6)} ms  ${name}`);
  };
  log(`\nCPU profile ${summary.file}: ${summary.busyMs} ms busy (percentages of busy time)`);
  list('By origin (self time):', summary.origins);
  list('Top functions by self time:', summary.selfTime);
  list('nestjs-sijax functions by total time (self + callees):', summary.libraryTotalTime);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, top] = process.argv.slice(2);
  if (!file) throw new Error('usage: node bench/profile-summary.mjs <file.cpuprofile> [top]');
  printProfile(summarizeProfile(path.resolve(file), Number(top) || 25), console.log);
}
