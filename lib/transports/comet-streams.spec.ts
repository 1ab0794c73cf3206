import { SIJAX_DEFAULTS } from '../sijax.constants';
import type { SijaxOptions } from '../sijax-options';
import { until } from '../../test/utils/latch';
import { CometStreams, type OpenStream } from './comet-streams';
import type { StreamWriter } from './stream-writer';

describe('CometStreams heartbeats', () => {
  it('reach every open stream once a sweep, a slice of them per turn of the event loop', async () => {
    const streams = new CometStreams({ heartbeatMs: 20 } as SijaxOptions);
    const count = 4 * SIJAX_DEFAULTS.heartbeatSlice + 10;
    // Counts the turns of the event loop while the sweep runs.
    let turn = 0;
    let spinning = true;
    const spin = (): void => {
      turn++;
      if (spinning) setImmediate(spin);
    };
    const beats: number[][] = [];
    const ends: (() => void)[] = [];
    for (let i = 0; i < count; i++) {
      beats.push([]);
      const writer = { heartbeat: () => void beats[i].push(turn) } as unknown as StreamWriter;
      const settled = new Promise<void>((resolve) => ends.push(resolve));
      const stream: OpenStream = { writer, source: { cancel: () => undefined }, settled };
      streams.track(stream);
    }
    spin();
    try {
      await until(() => beats.every((seen) => seen.length > 0), 5000, 'a heartbeat for each');
    } finally {
      spinning = false;
    }
    const firstSweep = beats.map((seen) => seen[0]);
    // Each slice in a turn of its own: at least one turn per slice, not one for all.
    expect(new Set(firstSweep).size).toBeGreaterThanOrEqual(5);
    expect(Math.max(...firstSweep) - Math.min(...firstSweep)).toBeGreaterThanOrEqual(4);
    ends.forEach((end) => end());
    await until(() => streams.size === 0, 1000, 'the streams to close');
  });
});
