import type { Call, CallSink } from '../core/call';
import type { CallLogEntry, CallStore } from './call-store';
import { SIJAX_DEFAULTS } from '../sijax.constants';
import type { StreamWriter } from '../transports/stream-writer';
import { CallGoneError } from './call-errors';
import { ResumableRun } from './resumable-run';
import { RunReader } from './run-reader';

/** A store whose appends are answered when the test says so, and that records what it saw. */
function slowStore() {
  const events: string[] = [];
  const answers: (() => void)[] = [];
  const store = {
    append(_callId: string, entries: readonly CallLogEntry[]): Promise<void> {
      events.push(`append ${entries.map((entry) => entry.outcome ?? entry.offset).join(',')}`);
      return new Promise<void>((resolve) => answers.push(resolve));
    },
    run: () => () => events.push('release'),
  } as unknown as CallStore;
  const answerNext = async () => {
    answers.shift()!();
    // The run's continuation of the append, and what it sends next.
    for (let i = 0; i < 3; i++) await Promise.resolve();
  };
  return { store, events, answerNext };
}

/** A call that gives the test its sink, and never ends by itself. */
function heldCall() {
  let sink: CallSink | undefined;
  const call = {
    request: { callId: 'call-1' },
    cancel: () => undefined,
    stream(given: CallSink) {
      sink = given;
      return new Promise<void>(() => undefined);
    },
  } as unknown as Call;
  return { call, sink: () => sink! };
}

describe('ResumableRun', () => {
  it('lets go of the store only once the terminal entry is in the log', async () => {
    const { store, events, answerNext } = slowStore();
    const { call, sink } = heldCall();
    const ended: ResumableRun[] = [];
    const run = new ResumableRun(call, store, { lingerMs: 60_000, maxBatches: 100 }, (done) =>
      ended.push(done),
    );
    run.start();
    sink().write([{ type: 'html', selector: '#p', html: '1' }], 1);
    // The call ends while its batch's append is unanswered: the terminal entry waits for it.
    sink().end('end');
    expect(events).toEqual(['append 1']);
    await answerNext();
    // A store that reads the call's state on append (Redis: its limits) still has it here.
    expect(events).toEqual(['append 1', 'append end']);
    await answerNext();
    expect(events).toEqual(['append 1', 'append end', 'release']);
    expect(ended).toEqual([run]);
  });

  it('lets go of a reader whose replay lost a page: the call lingers without it', async () => {
    const { store } = slowStore();
    const { call } = heldCall();
    let cancelled = 0;
    Object.assign(call, { cancel: () => cancelled++ });
    jest.useFakeTimers();
    try {
      const run = new ResumableRun(call, store, { lingerMs: 1_000, maxBatches: 100 }, () => {});
      run.start();
      const writer = { closed: false, writes: [] as unknown[], ended: '' };
      const connection = {
        get closed() {
          return writer.closed;
        },
        ready: () => undefined,
        writeJson: () => true,
        write: (batch: unknown) => writer.writes.push(batch),
        end: (outcome: string) => ((writer.ended = outcome), (writer.closed = true)),
      } as unknown as StreamWriter;
      const reader = new RunReader(connection, 0);
      const page = Array.from({ length: SIJAX_DEFAULTS.replayPage }, (_, i) => ({
        offset: i + 1,
        json: '[]',
      }));
      run.add(reader, page, () => Promise.reject(new CallGoneError()));
      await jest.advanceTimersByTimeAsync(0);
      expect(writer.ended).toBe('error');
      expect(writer.writes).toEqual([[expect.objectContaining({ type: 'error', status: 410 })]]);
      // No reader left: the call is cancelled once lingerMs has passed.
      await jest.advanceTimersByTimeAsync(1_000);
      expect(cancelled).toBe(1);
    } finally {
      jest.useRealTimers();
    }
  });
});
