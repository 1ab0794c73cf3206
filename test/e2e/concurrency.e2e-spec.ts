import type { INestApplication } from '@nestjs/common';
import { Agent } from 'http';
import { EchoHandlers, EchoProbe, exchange, type RawResponse } from '../fixtures/echo-handlers';
import { testAppModule } from '../fixtures/test-app.module';
import { Latch } from '../utils/latch';
import { baseUrl, parseChunks, sijaxBody } from '../utils/http-client';
import { startApp } from '../utils/test-app';

const CALLS = 500;
const STEPS = 3;
/** Comet calls that must be mid-stream at the same time. */
const OVERLAP = 20;

/** Call `i`: even ones are regular, odd ones Comet; every value names its own call. */
function plan(i: number, run: string) {
  const comet = i % 2 === 1;
  // Values a mix-up would show: own id, a per-run nonce, and characters that need escaping.
  const value = { id: i, run, text: `call ${i} </script> \u2028 "${'x'.repeat(i % 7)}"` };
  const callId = `c${i}_${run}`;
  const body = comet
    ? sijaxBody('comet_echo', [value, STEPS], { sijax_call: callId })
    : sijaxBody('careless_echo', [value]);
  return { i, comet, value, callId, body };
}

type Plan = ReturnType<typeof plan>;

function expectOwnAnswer(call: Plan, res: RawResponse): void {
  expect(res.status).toBe(200);
  if (!call.comet) {
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(res.text)).toEqual([{ type: 'echo', value: call.value }]);
    return;
  }
  expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
  const steps: unknown[] = [...Array(STEPS).keys(), 'done'];
  expect(parseChunks(res.text)).toEqual(
    steps.map((step) => [{ type: 'echo', value: call.value, step }]),
  );
  // Every chunk carries this call's id, and no other.
  const ids = [...res.text.matchAll(/processCommands\(\[.*?\],"([^"]*)"\);<\/script>/g)].map(
    (match) => match[1],
  );
  expect(ids).toEqual(steps.map(() => call.callId));
}

describe('Concurrent calls never mix their state', () => {
  let app: INestApplication;
  let url: string;
  let probe: EchoProbe;

  beforeAll(async () => {
    app = await startApp([testAppModule({}, { providers: [EchoProbe, EchoHandlers] })]);
    url = `${baseUrl(app)}/sijax`;
    probe = app.get(EchoProbe);
  });

  afterAll(() => app.close());

  beforeEach(() => {
    probe.maxActiveComet = 0;
    probe.carelessCalls.length = 0;
    // The first Comet handlers wait, mid-stream, until this many run at once: proof of overlap.
    probe.gate = { size: OVERLAP, latch: new Latch() };
  });

  async function runAll(run: string, agent?: Agent) {
    const calls = Array.from({ length: CALLS }, (_, i) => plan(i, run));
    // All requests start in this turn of the event loop; none waits for another.
    const answers = await Promise.all(
      calls.map((call) =>
        exchange(url, {
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: call.body,
          agent,
        }),
      ),
    );
    const wrong: string[] = [];
    calls.forEach((call, index) => {
      try {
        expectOwnAnswer(call, answers[index]);
      } catch (error) {
        wrong.push(`call ${call.i}: ${(error as Error).message.slice(0, 400)}`);
      }
    });
    expect(wrong).toEqual([]);
    expect(probe.carelessCalls).toHaveLength(CALLS / 2);
    expect(probe.gate?.latch.opened).toBe(true);
    expect(probe.maxActiveComet).toBeGreaterThanOrEqual(OVERLAP);
    expect(probe.activeComet).toBe(0);
  }

  it(`answers ${CALLS} mixed regular and Comet calls over 64 keep-alive sockets`, async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 64 });
    try {
      await runAll('keepalive', agent);
    } finally {
      agent.destroy();
    }
  });

  it(`answers ${CALLS} mixed calls, each on its own connection`, async () => {
    await runAll('fresh');
  });
});
