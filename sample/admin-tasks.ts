import { Injectable, UseGuards } from '@nestjs/common';
import { CometCallback, type CometResponse } from '../lib';
import { AdminGuard } from './admin.guard';
import { JobsService } from './jobs.service';

/** A Comet task behind a Nest guard, declared on the method as on a controller route. */
@Injectable()
export class AdminTasks {
  constructor(private readonly jobs: JobsService) {}

  @CometCallback('rebuild_index')
  @UseGuards(AdminGuard)
  async *rebuild(response: CometResponse) {
    for (let i = 1; i <= 3; i++) {
      response.html('#admin-result', `Rebuilding the index: step ${i} of 3…`);
      yield;
      await this.jobs.step(i, response.signal);
    }
    response.html('#admin-result', 'Index rebuilt');
  }
}
