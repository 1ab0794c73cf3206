// Before measuring: every server must send what the library sends. The raw (naive and batched)
// and Nest 12 servers carry a copy of the library's chunk format, so a change in `lib/` would
// otherwise go unnoticed. The library's own variants are checked against its iframe answer too:
// the plain generator (c-sync) sends the same bytes, and the event stream (c-sse) the same
// commands, one `commands` frame per batch with increasing ids, then the `end` frame. The resumable
// registration of the same handler (c-res, and c-redis on Redis) sends the event stream's very
// bytes, and says in its head that it is resumable.
import { request } from 'node:http';
import { SSE_ACCEPT, newCallId, streamBody } from '../lib/http-client.mjs';

function fetchBody(port, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path: '/sijax',
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (data) => (text += data));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const sameNonce = (text) => text.replace(/nonce(="|-)[A-Za-z0-9+/=]+/g, 'nonce$1N');

/** The commands of each SSE event, re-serialised as one JSON text per event. */
const sseBatches = (text) => [...text.matchAll(/^data: (.*)$/gm)].map((m) => m[1]);
const cometBatches = (text) =>
  [...text.matchAll(/processCommands\((.*?)\);<\/script>/g)].map((m) =>
    JSON.stringify(JSON.parse(m[1])),
  );

/** The events of an event stream, comments left out: `{ id?, event?, data? }` each. */
function sseEvents(text) {
  const blocks = text.split('\n\n').filter((block) => block !== '' && !block.startsWith(':'));
  return blocks.map((block) =>
    Object.fromEntries(
      block.split('\n').map((line) => {
        const colon = line.indexOf(':');
        return [line.slice(0, colon), line.slice(colon + 1).replace(/^ /, '')];
      }),
    ),
  );
}

/** How the library's event stream (c-sse) differs from its iframe answer, if it does. */
function sseProblem({ status, headers, text }, batches) {
  if (status !== 200) return `HTTP ${status}`;
  if (!String(headers['content-type']).startsWith('text/event-stream')) {
    return `Content-Type ${headers['content-type']}`;
  }
  const events = sseEvents(text);
  const end = events.pop();
  if (end?.event !== 'end' || end.data !== '{}' || end.id !== undefined) {
    return `the last event is not the end frame (event: end, data: {}): ${JSON.stringify(end)}`;
  }
  const framed = events.every(
    (event, i) => event.event === 'commands' && event.id === String(i + 1) && event.data,
  );
  if (!framed) {
    return `frames are not (id: 1, 2, ...; event: commands; data): ${JSON.stringify(text.slice(0, 200))}`;
  }
  const commands = events.map(({ data }) => JSON.stringify(JSON.parse(data)));
  if (JSON.stringify(commands) !== JSON.stringify(batches)) {
    return 'frames do not carry the same commands as the iframe chunks';
  }
  return undefined;
}

/** Returns the problems found (none: an empty array). `servers`: by key, `sijax` the reference. */
export async function checkParity(servers) {
  const body = streamBody('throughput', 3);
  const problems = [];
  const reference = await fetchBody(servers.sijax.port, body);
  const expected = sameNonce(reference.text);
  const sync = await fetchBody(servers.sijax.port, streamBody('throughput', 3, 0, 'stream_sync'));
  if (sync.status !== 200 || sameNonce(sync.text) !== expected) {
    problems.push('sijax-sync: the plain generator does not send what the async one sends');
  }
  const events = await fetchBody(servers.sijax.port, body, SSE_ACCEPT);
  const sseDiffers = sseProblem(events, cometBatches(reference.text));
  if (sseDiffers) problems.push(`sijax-sse: ${sseDiffers}`);
  for (const [key, server] of [
    ['sijax-res', servers.sijax],
    ['sijax-redis', servers['sijax-redis']],
  ]) {
    if (!server) continue;
    const resumableBody = streamBody('throughput', 3, 0, 'stream_res', newCallId());
    const resumed = await fetchBody(server.port, resumableBody, SSE_ACCEPT);
    if (resumed.status !== 200) problems.push(`${key}: HTTP ${resumed.status}`);
    else if (resumed.text !== events.text) {
      problems.push(`${key}: the resumable call does not send what (c-sse) sends`);
    } else if (resumed.headers['x-sijax-resumable'] === undefined) {
      problems.push(`${key}: the head does not say X-Sijax-Resumable`);
    }
  }
  for (const key of ['raw', 'raw-batched', 'nest12-stream']) {
    if (!servers[key]) continue;
    const { status, text } = await fetchBody(servers[key].port, body);
    if (status !== 200) problems.push(`${key}: HTTP ${status}`);
    else if (sameNonce(text) !== expected) {
      const at = [...expected].findIndex((char, i) => sameNonce(text)[i] !== char);
      problems.push(
        `${key}: body differs from the library's at byte ${at}: ${JSON.stringify(sameNonce(text).slice(at, at + 80))} vs ${JSON.stringify(expected.slice(at, at + 80))}`,
      );
    }
  }
  for (const key of ['raw', 'raw-batched']) {
    if (!servers[key]) continue;
    const { headers } = await fetchBody(servers[key].port, body);
    for (const [name, value] of Object.entries(reference.headers)) {
      if (/^(date|connection|transfer-encoding|keep-alive|x-powered-by)$/.test(name)) continue;
      if (sameNonce(String(headers[name])) !== sameNonce(String(value))) {
        problems.push(`${key}: header ${name} is ${headers[name]}, the library sends ${value}`);
      }
    }
  }
  if (servers['nest-sse']) {
    const sse = await fetchBody(servers['nest-sse'].port, body);
    if (JSON.stringify(sseBatches(sse.text)) !== JSON.stringify(cometBatches(reference.text))) {
      problems.push('nest-sse: events do not carry the same commands as the Comet chunks');
    }
  }
  return problems;
}
