import { setFlagsFromString } from 'v8';
import { runInNewContext } from 'vm';

/** Resolves on the next turn of the event loop. */
export const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

let gc: (() => void) | undefined;

/**
 * Full collections, each on a turn of its own, so that finalizers and weak refs settle (and a
 * `WeakRef.deref()`, which keeps its target for the rest of its turn, cannot hold one back).
 * Jest's workers run without --expose-gc: the flag is set, and `gc` taken from a fresh context.
 */
export async function collectGarbage(rounds = 6): Promise<void> {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  for (let i = 0; i < rounds; i++) {
    await nextTurn();
    gc();
  }
  await nextTurn();
}
