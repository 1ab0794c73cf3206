// Figure 6: a cut resumable call, resumed. Each repetition starts a resumable call over the fetch
// transport (`sijax_call`, `Accept: text/event-stream`), reads its first BATCHES batches, cuts
// the connection, lets the handler produce BATCHES more (the runner opens the call's `more` step
// and waits until the store's log holds them), then re-posts the same call with `Last-Event-ID:
// BATCHES` on a fresh, connected socket: ms from writing the re-post to the first replayed batch
// arriving. The rest of the replay and the end are read and checked (batches BATCHES + 1 to
// 2 x BATCHES, once each, then the end frame) after the call's `finish` step opens.
import { SSE_ACCEPT, SSE_END, StreamExchange, newCallId, sijaxBody } from '../lib/http-client.mjs';
import { median, percentile, round } from '../lib/stats.mjs';

/** Batches read before the cut, and as many produced while cut off. */
export const BATCHES = 10;

/** The ids of the SSE commands frames in `text`, in order. */
const frameIds = (text) => [...text.matchAll(/^id: (\d+)\nevent: commands\n/gm)].map((m) => +m[1]);

async function reconnectMs({ server, callback = 'stream_res' }) {
  const callId = newCallId();
  const body = sijaxBody(callback, ['reconnect', BATCHES, 0, callId], callId);
  const request = { port: server.port, body, terminator: SSE_END };
  let read;
  const first = new StreamExchange({
    ...request,
    headers: SSE_ACCEPT,
    onData: () => first.count >= BATCHES && read(),
  });
  await Promise.race([new Promise((resolve) => (read = resolve)), first.done]);
  first.check(BATCHES);
  first.socket.destroy();
  await first.done;
  await server.call('step', `${callId}:more`);
  await server.call('logged', { callId, offset: 2 * BATCHES });
  let text = '';
  const resumed = new StreamExchange({
    ...request,
    headers: { ...SSE_ACCEPT, 'Last-Event-ID': String(BATCHES) },
    onData: (data) => (text += data.toString('latin1')),
  });
  await resumed.opened;
  await server.call('step', `${callId}:finish`);
  await resumed.done;
  resumed.check(BATCHES);
  const ids = frameIds(text);
  const expected = Array.from({ length: BATCHES }, (_, i) => BATCHES + 1 + i);
  if (ids.join() !== expected.join() || !text.includes('event: end\ndata: {}\n\n')) {
    throw new Error(`the replay is not ${expected} then the end: ${JSON.stringify(ids)}`);
  }
  return resumed.tFirst - resumed.t0;
}

/**
 * `targets`: `{ key, server, callback? }` (a server with the resumable `reconnect` mode). Servers
 * take turns, `repetitions / rounds` repetitions each per round, after 20 warm-ups each. Returns
 * `{ [key]: { median, p90, repetitions } }`.
 */
export async function measureReconnect(targets, { repetitions, rounds, log }) {
  const samples = Object.fromEntries(targets.map(({ key }) => [key, []]));
  for (const target of targets) for (let i = 0; i < 20; i++) await reconnectMs(target);
  const perRound = Math.ceil(repetitions / rounds);
  for (let r = 1; r <= rounds; r++) {
    for (const target of targets) {
      for (let i = 0; i < perRound; i++) samples[target.key].push(await reconnectMs(target));
    }
  }
  const result = {};
  for (const [key, values] of Object.entries(samples)) {
    result[key] = {
      median: median(values),
      p90: percentile(values, 90),
      repetitions: values.length,
    };
  }
  log(
    `  ${Object.entries(result)
      .map(([key, { median: ms, p90 }]) => `${key} ${round(ms)} ms (p90 ${round(p90)})`)
      .join(', ')}`,
  );
  return result;
}
