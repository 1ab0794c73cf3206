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
export async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setImmediate(resolve));
  }
}
