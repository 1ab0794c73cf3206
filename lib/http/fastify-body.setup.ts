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

/** Body types Sijax calls come in; urlencoded lacks a parser when `bodyParser: false`. */
const PASSED_THROUGH = ['multipart/form-data', 'application/x-www-form-urlencoded'];

/**
 * Fastify refuses bodies it has no parser for (415) before any route runs. Sijax forms may be
 * posted as multipart (or urlencoded in an app without body parsers), so unless the app parses
 * them itself, let such bodies through unread: the Sijax route reads them within its own limit.
 * Other unknown types stay Fastify's to refuse.
 */
@Injectable()
export class FastifyBodySetup implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const instance = this.adapterHost.httpAdapter?.getInstance<Partial<FastifyLike>>();
    if (typeof instance?.addContentTypeParser !== 'function') return;
    for (const type of PASSED_THROUGH) {
      if (instance.hasContentTypeParser?.(type)) continue;
      instance.addContentTypeParser(type, (_request, _payload, done) => done(null));
    }
  }
}
