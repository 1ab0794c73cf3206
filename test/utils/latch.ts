/** A promise the test opens by hand: handlers wait on it instead of sleeping. */
export class Latch {
  readonly promise: Promise<void>;
  private resolveFn!: () => void;
  opened = false;

  constructor() {
    this.promise = new Promise((resolve) => (this.resolveFn = resolve));
  }

  open(): void {
    this.opened = true;
    this.resolveFn();
  }
}

/** Resolves the next time `check` holds, polled on each event-loop turn (no fixed sleeps). */
export async function until(
  check: () => boolean,
  timeoutMs = 5000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * Resolves with `read()` once it has returned the same non-zero value for `turns` event-loop
 * turns in a row: how a test sees that a handler stopped being resumed.
 */
export async function steady(read: () => number, turns = 200): Promise<number> {
  let last = read();
  let same = 0;
  while (same < turns) {
    await new Promise((resolve) => setImmediate(resolve));
    const now = read();
    same = now !== 0 && now === last ? same + 1 : 0;
    last = now;
  }
  return last;
}
