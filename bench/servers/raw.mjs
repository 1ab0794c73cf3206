// (a) The limit: a bare Node `http` server writing the same script chunks as the library, one
// `write()` per chunk, waiting for 'drain' whenever `write()` says the buffer is full.
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

/** A Comet response: headers and padding go out with the first chunk, as the library does. */
function cometWriter(res) {
  const nonce = createNonce();
  const frame = createChunkFrame(nonce);
  let head = firstChunkPadding(nonce);
  res.socket.setNoDelay(true);
  res.writeHead(200, cometHeaders(nonce));
  /** Writes one chunk; resolves at once unless the socket pushes back. */
  return (html) => {
    const chunk = head + scriptChunk(frame, [htmlCommand(html)]);
    head = '';
    return res.write(chunk) ? undefined : drained(res);
  };
}

async function stream(res, { mode, n, interval }) {
  const send = cometWriter(res);
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
  res.end();
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
server.listen(0, '127.0.0.1', () => reportReady('raw', server));
