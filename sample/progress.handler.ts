import { BadRequestException } from '@nestjs/common';
import { CometHandler, type CometResponse } from '../lib';
import { JobsService } from './jobs.service';

/** Comet functions `run` and `failing`: each `yield` sends the DOM commands queued so far. */
@CometHandler()
export class ProgressHandler {
  constructor(private readonly jobs: JobsService) {}

  async *run(response: CometResponse, steps = 10) {
    // Arguments come from the browser: check them like any other input.
    if (!Number.isInteger(steps) || steps < 1 || steps > 100) {
      throw new BadRequestException('steps must be an integer from 1 to 100');
    }
    this.jobs.running++;
    try {
      response.attr('#bar', 'max', steps).attr('#bar', 'value', 0).html('#status', 'Working…');
      yield;
      for (let i = 1; i <= steps; i++) {
        // When the page cancels, the signal fires and this await throws: the job stops at once.
        await this.jobs.step(i, response.signal);
        response.attr('#bar', 'value', i).html('#progress', `${i} of ${steps}`);
        yield;
      }
      response.html('#status', 'Done');
    } finally {
      // Runs on a cancel too, but the page is gone by then: release resources, send nothing.
      this.jobs.running--;
    }
  }

  /** Shows three steps, then fails: the browser gets an error command, the log gets the stack. */
  async *failing(response: CometResponse) {
    response.html('#fail-log', '');
    for (let i = 1; i <= 3; i++) {
      await this.jobs.step(i, response.signal);
      response.htmlAppend('#fail-log', `<li>Step ${i} done</li>`);
      yield;
    }
    throw new Error('Simulated failure after step 3');
  }
}
