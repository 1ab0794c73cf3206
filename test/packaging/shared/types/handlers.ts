// Handlers as a user's app declares them, type-checked against the installed package.
import { Injectable } from '@nestjs/common';
import {
  CometCallback,
  CometHandler,
  SijaxCallback,
  type CometResponse,
  type SijaxResponse,
} from 'nestjs-sijax';

@CometHandler()
export class Jobs {
  async *run(response: CometResponse, steps: number) {
    for (let i = 1; i <= steps; i++) {
      response.html('#progress', `${i} of ${steps}`);
      yield;
    }
    return steps;
  }
}

@Injectable()
export class Greeter {
  @SijaxCallback('say_hello')
  hello(response: SijaxResponse, name: string): string {
    response.alert(`Hello ${name}`);
    return name;
  }

  @CometCallback('count_down')
  async *countDown(response: CometResponse, from: number) {
    for (let i = from; i > 0; i--) {
      response.html('#count', String(i));
      yield;
    }
  }
}
