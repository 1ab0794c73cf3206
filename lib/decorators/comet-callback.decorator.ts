import { SetMetadata } from '@nestjs/common';
import { SIJAX_CALLBACK_METADATA } from '../sijax.constants';
import type { SijaxCallbackOptions } from '../interfaces';
import { callbackMetadata } from './sijax-callback.decorator';

/**
 * Registers one method as a Comet function (Sijax's `register_comet_callback`), under `name` or the
 * method's own name. The method may be a (async) generator: each `yield` sends what is queued.
 * @publicApi
 */
export function CometCallback(nameOrOptions?: string | SijaxCallbackOptions): MethodDecorator {
  return SetMetadata(SIJAX_CALLBACK_METADATA, callbackMetadata('comet', nameOrOptions));
}
