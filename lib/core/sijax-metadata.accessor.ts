import { Injectable, type Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { SijaxHandlerMetadata } from '../interfaces';
import { SIJAX_CALLBACK_METADATA, SIJAX_HANDLER_METADATA } from '../sijax.constants';

/** The only reader of Sijax metadata. */
@Injectable()
export class SijaxMetadataAccessor {
  constructor(private readonly reflector: Reflector) {}

  /** `@SijaxHandler()` / `@CometHandler()` on a class. */
  getClassMetadata(target: Type | Function): SijaxHandlerMetadata | undefined {
    return this.reflector.get<SijaxHandlerMetadata | undefined>(SIJAX_HANDLER_METADATA, target);
  }

  /** `@SijaxCallback()` / `@CometCallback()` on a method. */
  getMethodMetadata(method: Function): SijaxHandlerMetadata | undefined {
    return this.reflector.get<SijaxHandlerMetadata | undefined>(SIJAX_CALLBACK_METADATA, method);
  }
}
