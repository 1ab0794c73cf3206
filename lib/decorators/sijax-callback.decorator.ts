import { SetMetadata } from '@nestjs/common';
import { SIJAX_CALLBACK_METADATA } from '../sijax.constants';
import type { SijaxCallbackOptions, SijaxHandlerMetadata } from '../interfaces';

/** Normalises `(name?)` and `(options?)` to the one stored shape. */
export function callbackMetadata(
  kind: SijaxHandlerMetadata['kind'],
  nameOrOptions: string | SijaxCallbackOptions = {},
): SijaxHandlerMetadata {
  const options = typeof nameOrOptions === 'string' ? { name: nameOrOptions } : nameOrOptions;
  return { ...options, kind };
}

/**
 * Registers one method as a regular Sijax function (Sijax's `register_callback`), under `name` or
 * the method's own name.
 * @publicApi
 */
export function SijaxCallback(nameOrOptions?: string | SijaxCallbackOptions): MethodDecorator {
  return SetMetadata(SIJAX_CALLBACK_METADATA, callbackMetadata('sijax', nameOrOptions));
}
