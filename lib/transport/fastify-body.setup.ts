import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage } from 'http';

/** The parts of a Fastify instance this setup needs; Fastify is not a dependency. */
interface FastifyLike {
  hasContentTypeParser(type: string): boolean;
  addContentTypeParser(
    type: string,
    parser: (request: unknown, payload: IncomingMessage, done: (error: null) => void) => void,
  ): void;
}

/**
 * Fastify refuses bodies it has no parser for (415) before any route runs. Comet forms may be
 * posted as multipart, so unless the app parses multipart itself, let such bodies through
 * unread: the Sijax route reads them within its own limit.
 */
@Injectable()
export class FastifyBodySetup implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const instance = this.adapterHost.httpAdapter?.getInstance<Partial<FastifyLike>>();
    if (typeof instance?.addContentTypeParser !== 'function') return;
    if (instance.hasContentTypeParser?.('multipart/form-data')) return;
    instance.addContentTypeParser('multipart/form-data', (_request, _payload, done) => done(null));
  }
}
