import { BadRequestException, Injectable } from '@nestjs/common';
import { SijaxCallback, type SijaxResponse } from '../lib';

/** A regular call that returns a value: `await Sijax.request('add', [2, 3])` gives 5. */
@Injectable()
export class Calculator {
  @SijaxCallback('add')
  add(_response: SijaxResponse, a: unknown, b: unknown): number {
    if (!isFiniteNumber(a) || !isFiniteNumber(b)) {
      throw new BadRequestException('a and b must be numbers');
    }
    return a + b;
  }
}

const isFiniteNumber = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value);
