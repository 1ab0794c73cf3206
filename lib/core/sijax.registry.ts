import { Injectable } from '@nestjs/common';
import { SijaxError } from '../errors/sijax.error';
import type { SijaxHandlerDefinition } from '../interfaces';
import { DUPLICATE_HANDLER } from '../sijax.messages';
import type { HandlerPipeline } from './handler-pipeline';

/** A definition plus the Nest pipeline that runs it. */
export interface RegisteredHandler extends SijaxHandlerDefinition, Readonly<HandlerPipeline> {}

/**
 * Every Sijax and Comet function of the app, by public name. Read-only outside the library.
 * @publicApi
 */
@Injectable()
export class SijaxRegistry {
  private readonly handlers = new Map<string, RegisteredHandler>();

  /** The function registered under `name`, if any. */
  get(name: string): SijaxHandlerDefinition | undefined {
    return this.handlers.get(name);
  }

  /** Every registered function. */
  getAll(): SijaxHandlerDefinition[] {
    return [...this.handlers.values()];
  }

  /** @internal */
  find(name: string): RegisteredHandler | undefined {
    return this.handlers.get(name);
  }

  /** @internal Throws when the name is taken: a silent override would hijack an RPC name. */
  add(handler: RegisteredHandler): void {
    const existing = this.handlers.get(handler.name);
    if (existing)
      throw new SijaxError(DUPLICATE_HANDLER(handler.name, existing.owner, handler.owner));
    this.handlers.set(handler.name, handler);
  }
}
