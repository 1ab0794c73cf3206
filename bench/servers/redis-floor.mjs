// (r0) The floor of figure 3r: no HTTP and no library, only what a resumable batch must do at
// the least, an XADD to its call's stream and its reply, on the same schedule as 3r's streams
// (a random phase, then one every `interval` ms) against the same redis-server. The round trip
// is timed from the command to its reply, on ioredis's defaults (a write per command: with
// `enableAutoPipelining` its p99 was higher here). `--redis=<port>`.
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { percentile } from '../lib/stats.mjs';
import { reportReady, stampHtml } from './shared.mjs';

const require = createRequire(import.meta.url);
const { Redis } = require('ioredis');

const port = Number(process.argv.find((arg) => arg.startsWith('--redis='))?.slice(8));
const redis = new Redis(port, '127.0.0.1');
await redis.ping();

/** A batch like 3r's: the JSON of `response.html('#p', stampHtml())`. */
const batch = () => JSON.stringify([{ type: 'html', selector: '#p', html: stampHtml() }]);
let round = 0;

/** `streams` streams of `ticks` XADDs each; resolves with the round trips' p50 and p99 (ms). */
function floor({ streams, ticks, interval }) {
  const delays = [];
  const prefix = `floor:${round++}`;
  return new Promise((resolve, reject) => {
    let running = streams;
    const start = (stream) => {
      const key = `{${prefix}:${stream}}:log`;
      let tick = 0;
      const next = () => {
        const sent = performance.now();
        redis.xadd(key, 'MAXLEN', '10000', `${tick + 1}-0`, 'j', batch()).then(() => {
          delays.push(performance.now() - sent);
          if (++tick < ticks) setTimeout(next, interval);
          else if (--running === 0) finish();
        }, reject);
      };
      setTimeout(next, Math.random() * interval);
    };
    const finish = async () => {
      await redis.flushall();
      resolve({ p50: percentile(delays, 50), p99: percentile(delays, 99), count: delays.length });
    };
    for (let stream = 0; stream < streams; stream++) start(stream);
  });
}

reportReady('redis-floor', undefined, { floor });
