import { applyDecorators, Injectable, SetMetadata } from '@nestjs/common';
import { SIJAX_HANDLER_METADATA } from '../sijax.constants';
import type { SijaxHandlerMetadata, SijaxHandlerOptions } from '../interfaces';

/**
 * Registers every public method of the class as a Comet function under its own name
 * (Sijax's `register_comet_object`). The class is made injectable.
 * @publicApi
 */
export function CometHandler(options: SijaxHandlerOptions = {}): ClassDecorator {
  const metadata: SijaxHandlerMetadata = { ...options, kind: 'comet' };
  return applyDecorators(Injectable(), SetMetadata(SIJAX_HANDLER_METADATA, metadata));
}
