// (a) A bare Node `http` server writing the same script chunks as the library, one `write()` per
// chunk, waiting for 'drain' whenever `write()` says the buffer is full: a naive hand-written
// stream. (a2) With `--batched`: the limit, coalescing chunks exactly like the library's writer
// (lib/transports/stream-writer.ts): the chunks of one tick leave in one `write()`, on
// `process.nextTick`, or at once when 16 KiB are pending.
import { createServer } from 'node:http';
import {
  cometHeaders,
  createChunkFrame,
  createNonce,
  firstChunkPadding,
  gate,
  htmlCommand,
  itemHtml,
  parseArgs,
  reportReady,
  scriptChunk,
  sleep,
  stampHtml,
} from './shared.mjs';

const BATCHED = process.argv.includes('--batched');
/** Node's default socket high-water mark, as in the library. */
const COALESCE_LIMIT = 16 * 1024;

/** Resolves once `res` can take more, or is gone. */
function drained(res) {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done).off('close', done);
      resolve();
    };
    res.on('drain', done).on('close', done);
  });
}

/** Headers now; the padding goes out with the first chunk, as the library does. */
function start(res) {
  const nonce = createNonce();
  res.socket.setNoDelay(true);
  res.writeHead(200, cometHeaders(nonce));
  return { frame: createChunkFrame(nonce), padding: firstChunkPadding(nonce) };
}

/** (a) `send(html)` writes one chunk; it returns a promise only when the socket pushes back. */
function naiveWriter(res) {
  const { frame, padding } = start(res);
  let head = padding;
  return {
    send(html) {
      const chunk = head + scriptChunk(frame, [htmlCommand(html)]);
      head = '';
      return res.write(chunk) ? undefined : drained(res);
    },
    end: () => res.end(),
  };
}

/** (a2) `send(html)` queues one chunk; it returns a promise while the socket pushes back. */
function batchedWriter(res) {
  const { frame, padding } = start(res);
  let pending = padding;
  let scheduled = false;
  let blocked;
  const flush = () => {
    if (!pending || res.writableEnded || res.destroyed) return;
    const data = pending;
    pending = '';
    if (!res.write(data) && !blocked) blocked = drained(res).then(() => (blocked = undefined));
  };
  const flushOnTick = () => {
    scheduled = false;
    flush();
  };
  return {
    send(html) {
      pending += scriptChunk(frame, [htmlCommand(html)]);
      if (pending.length >= COALESCE_LIMIT) flush();
      else if (!scheduled) {
        scheduled = true;
        process.nextTick(flushOnTick);
      }
      return blocked;
    },
    end() {
      flush();
      res.end();
    },
  };
}

async function stream(res, { mode, n, interval }) {
  const { send, end } = (BATCHED ? batchedWriter : naiveWriter)(res);
  if (mode === 'throughput') {
    for (let i = 0; i < n && !res.destroyed; i++) {
      const wait = send(itemHtml(i, n));
      if (wait) await wait;
    }
  } else if (mode === 'latency') {
    await send('open');
    await gate('go');
    for (let i = 0; i < n && !res.destroyed; i++) {
      await sleep(i === 0 ? Math.random() * interval : interval);
      await send(stampHtml());
    }
  } else if (mode === 'idle') {
    await send('open');
    await gate('release');
  }
  end();
}

const server = createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (data) => (body += data));
  req.on('end', () => {
    const form = new URLSearchParams(body);
    stream(res, parseArgs(form.get('sijax_args'))).catch((error) => res.destroy(error));
  });
});
server.listen(0, '127.0.0.1', () => reportReady(BATCHED ? 'raw-batched' : 'raw', server));
