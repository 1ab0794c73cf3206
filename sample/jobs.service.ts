import { Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';

/** A fake slow job, so that progress is visible. `SAMPLE_STEP_MS` sets the pace (tests speed it up). */
@Injectable()
export class JobsService {
  readonly stepMs = Number(process.env.SAMPLE_STEP_MS ?? 400);

  /**
   * Does step `i` of the job. Honouring `signal` matters: an async generator cannot be stopped
   * while it awaits, so a closed page would otherwise keep the job running to its next step.
   */
  async step(i: number, signal?: AbortSignal): Promise<number> {
    return sleep(this.stepMs, i, { signal });
  }
}
