import { BadRequestException, Injectable } from '@nestjs/common';
import { CometCallback, SijaxCallback, type CometResponse, type SijaxResponse } from '../lib';
import { JobsService } from './jobs.service';

/** Single methods registered by name: a regular call and a Comet one. */
@Injectable()
export class Greeter {
  constructor(private readonly jobs: JobsService) {}

  @SijaxCallback('say_hello')
  hello(response: SijaxResponse, name: string) {
    // alert() shows text, so the name needs no escaping here.
    response.alert(`Hello ${name}`);
  }

  @CometCallback('count_down')
  async *countDown(response: CometResponse, from = 5) {
    if (!Number.isInteger(from) || from < 1 || from > 20) {
      throw new BadRequestException('from must be an integer from 1 to 20');
    }
    for (let i = from; i > 0; i--) {
      response.html('#count', String(i));
      yield;
      await this.jobs.step(i, response.signal);
    }
    response.html('#count', 'Liftoff!');
  }
}
