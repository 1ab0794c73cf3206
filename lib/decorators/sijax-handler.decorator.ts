import { applyDecorators, Injectable, SetMetadata } from '@nestjs/common';
import { SIJAX_HANDLER_METADATA } from '../sijax.constants';
import type { SijaxHandlerMetadata, SijaxHandlerOptions } from '../interfaces';

/**
 * Registers every public method of the class as a regular Sijax function under its own name
 * (Sijax's `register_object`). The class is made injectable.
 * @publicApi
 */
export function SijaxHandler(options: SijaxHandlerOptions = {}): ClassDecorator {
  const metadata: SijaxHandlerMetadata = { ...options, kind: 'sijax' };
  return applyDecorators(Injectable(), SetMetadata(SIJAX_HANDLER_METADATA, metadata));
}
