import { BadRequestException, Injectable } from '@nestjs/common';
import { CometCallback, SijaxCallback, type CometResponse, type SijaxResponse } from '../lib';
import { ConnectionDrops } from './connection-drops';
import { JobsService } from './jobs.service';

/**
 * A resumable Comet call, which the page makes over the fetch transport. The server keeps a log
 * of its batches, so a cut connection loses nothing (the page reconnects by itself and gets what
 * it missed, each batch once) and a reloaded page attaches to it with `Sijax.attach(callId)`.
 * The handler runs once, whatever happens to its readers: with none left it runs on for the
 * module's `resume.lingerMs` (30 s), then is cancelled.
 */
@Injectable()
export class ResumableTasks {
  constructor(
    private readonly jobs: JobsService,
    private readonly drops: ConnectionDrops,
  ) {}

  @CometCallback({ name: 'resumable_task', resumable: true })
  async *run(response: CometResponse, steps = 12) {
    if (!Number.isInteger(steps) || steps < 1 || steps > 50) {
      throw new BadRequestException('steps must be an integer from 1 to 50');
    }
    response
      .attr('#resume-bar', 'max', steps)
      .attr('#resume-bar', 'value', 0)
      .html('#resume-progress', '')
      .html('#resume-steps', '')
      .html('#resume-status', 'Working…');
    yield;
    for (let i = 1; i <= steps; i++) {
      await this.jobs.step(i, response.signal);
      // One chip per step: a batch that ran twice on the page would show twice.
      response
        .attr('#resume-bar', 'value', i)
        .html('#resume-progress', `${i} of ${steps}`)
        .htmlAppend('#resume-steps', `<li>${i}</li>`);
      yield;
    }
    response.html('#resume-status', 'Done');
    return steps;
  }

  /** The "Drop connection" button: drops this browser's streams, as a network would. */
  @SijaxCallback('drop_connection')
  drop(response: SijaxResponse): number {
    return this.drops.drop(response.request);
  }
}
