import type { Child } from './child-processes';

/** One JSON line a fixture app printed, and when this process read it (performance.now()). */
export interface AppEvent {
  event: string;
  tag?: string;
  step?: number;
  /** `listening` events of the apps that pick their own port. */
  port?: number;
  at: number;
}

/**
 * The JSON lines a child prints on stdout, timestamped as they arrive: a test waits for one
 * (a latch, not a sleep) and can tell when the child reported it.
 */
export class AppEvents {
  readonly all: AppEvent[] = [];
  private partial = '';
  private readonly waiters = new Set<() => void>();

  constructor(private readonly child: Child) {
    child.process.stdout?.on('data', (data: Buffer) => {
      const at = performance.now();
      const lines = (this.partial + data.toString('utf8')).split('\n');
      this.partial = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        this.all.push({ ...(JSON.parse(line) as Omit<AppEvent, 'at'>), at });
      }
      for (const wake of this.waiters) wake();
    });
  }

  count(match: Partial<AppEvent>): number {
    return this.all.filter((event) => matches(event, match)).length;
  }

  /** The first event (already seen or to come) that satisfies `check`. */
  async waitFor(check: (event: AppEvent) => boolean, timeoutMs = 10_000): Promise<AppEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.all.find(check);
      if (found) return found;
      if (this.child.hasExited() || Date.now() > deadline) {
        throw new Error(`${this.child.name}: no such event; output:\n${this.child.output()}`);
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.waiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, 100);
        this.waiters.add(wake);
      });
    }
  }
}

function matches(event: AppEvent, match: Partial<AppEvent>): boolean {
  return Object.entries(match).every(([key, value]) => event[key as keyof AppEvent] === value);
}
