import { Subject } from 'rxjs';
import { drainOutput, isIterator, type Stage } from './drain-output';

function sink(overrides: Partial<Stage> = {}): Stage & { flushes: number } {
  const result = {
    streaming: true,
    closed: false,
    flushes: 0,
    flush: () => void result.flushes++,
    ready: () => undefined,
    ...overrides,
  };
  return result;
}

describe('isIterator', () => {
  it('tells generators from other iterables', () => {
    expect(isIterator((function* () {})())).toBe(true);
    expect(isIterator((async function* () {})())).toBe(true);
    expect(isIterator('abc')).toBe(false);
    expect(isIterator([1, 2])).toBe(false);
    expect(isIterator(new Map())).toBe(false);
    expect(isIterator(null)).toBe(false);
  });
});

describe('drainOutput', () => {
  it('flushes after every step and returns the return value', async () => {
    const target = sink();
    const value = await drainOutput(
      (function* () {
        yield;
        yield;
        return 7;
      })(),
      target,
    );
    expect(value).toBe(7);
    expect(target.flushes).toBe(2);
  });

  it('awaits a promise, then drains what it resolves to', async () => {
    const target = sink();
    const output = Promise.resolve(
      (async function* () {
        yield;
      })(),
    );
    await drainOutput(output, target);
    expect(target.flushes).toBe(1);
  });

  it('treats each Observable emission as a flush point', async () => {
    const target = sink();
    const subject = new Subject<void>();
    const done = drainOutput(subject, target);
    subject.next();
    subject.next();
    subject.complete();
    await done;
    expect(target.flushes).toBe(2);
  });

  it('waits while the consumer is not ready, without resuming the generator', async () => {
    let release!: () => void;
    let blocked: Promise<void> | undefined = new Promise((resolve) => (release = resolve));
    const target = sink({ ready: () => blocked });
    let steps = 0;
    const done = drainOutput(
      (function* () {
        for (;;) {
          steps++;
          if (steps > 3) return;
          yield;
        }
      })(),
      target,
    );
    await Promise.resolve();
    expect(steps).toBe(1);
    blocked = undefined;
    release();
    await done;
    expect(steps).toBe(4);
  });

  it('returns the generator when the consumer closes, so finally blocks run', async () => {
    const target = sink();
    let cleaned = false;
    let steps = 0;
    await drainOutput(
      (function* () {
        try {
          for (;;) {
            steps++;
            if (steps === 2) (target as { closed: boolean }).closed = true;
            yield;
          }
        } finally {
          cleaned = true;
        }
      })(),
      target,
    );
    expect(cleaned).toBe(true);
    expect(steps).toBe(2);
  });

  it('unsubscribes an Observable through stopCurrent', async () => {
    const target = sink();
    const subject = new Subject<void>();
    const done = drainOutput(subject, target);
    await Promise.resolve();
    expect(subject.observed).toBe(true);
    target.stopCurrent?.();
    await done;
    expect(subject.observed).toBe(false);
  });
});
