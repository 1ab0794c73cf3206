import { Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';

/** A fake slow job, so that progress is visible. `SAMPLE_STEP_MS` sets the pace (tests speed it up). */
@Injectable()
export class JobsService {
  readonly stepMs = Number(process.env.SAMPLE_STEP_MS ?? 400);
  /** Steps finished since the app started, and steps cut short by a cancel. */
  stepsDone = 0;
  stepsCancelled = 0;
  /** Progress jobs running now: `ProgressHandler.run` counts itself in and out. */
  running = 0;

  /**
   * Does step `i` of the job. Honouring `signal` matters: an async generator cannot be stopped
   * while it awaits, so a cancelled call would otherwise keep the job running to its next step.
   */
  async step(i: number, signal?: AbortSignal): Promise<number> {
    try {
      const value = await sleep(this.stepMs, i, { signal });
      this.stepsDone++;
      return value;
    } catch (error) {
      if (signal?.aborted) this.stepsCancelled++;
      throw error;
    }
  }
}
