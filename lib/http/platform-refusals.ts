import {
  BadRequestException,
  HttpException,
  Inject,
  Injectable,
  PayloadTooLargeException,
  UnsupportedMediaTypeException,
  type OnModuleInit,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, ServerResponse } from 'http';
import {
  BODY_UNREADABLE,
  PLATFORM_BODY_TOO_LARGE,
  UNSUPPORTED_MEDIA_TYPE,
} from '../sijax.messages';
import { SIJAX_PATH } from '../sijax.tokens';
import { refusal, refuse } from './replies';
import { callIdOf } from './request-parser';

type Next = (error?: unknown) => void;
type ErrorMiddleware = (
  error: unknown,
  req: IncomingMessage,
  res: ServerResponse,
  next: Next,
) => void;

/** The parts of the platforms this setup needs; neither is a dependency. */
interface ExpressLike {
  use(handler: ErrorMiddleware): void;
}
interface FastifyLike {
  addHook(
    name: 'onSend',
    hook: (
      request: { raw: IncomingMessage; method: string },
      reply: {
        statusCode: number;
        code(status: number): unknown;
        headers(values: object): unknown;
      },
      payload: unknown,
      done: (error: null, payload?: unknown) => void,
    ) => void,
  ): void;
}

/**
 * What a refusal by the platform's body parser becomes: a fixed message per status, since a
 * parser's own message may quote the body (V8's JSON errors do).
 */
export function platformRefusal(status: number): HttpException {
  if (status === 413) return new PayloadTooLargeException(PLATFORM_BODY_TOO_LARGE);
  if (status === 415) return new UnsupportedMediaTypeException(UNSUPPORTED_MEDIA_TYPE);
  return status > 400 && status < 500
    ? new HttpException(BODY_UNREADABLE, status)
    : new BadRequestException(BODY_UNREADABLE);
}

/**
 * A call the app's own body parser refuses (over its limit, bad JSON) never reaches the Sijax
 * route, and Nest would answer it in its JSON format, which a Comet iframe cannot run: its call
 * would seem to have worked. This answers such refusals of POSTs to the Sijax path in Sijax's
 * format. Express: an error middleware, added before Nest's own error handler. Fastify: an
 * `onSend` hook; the Sijax route writes its own answers past Fastify, so any reply Fastify sends
 * for a POST to that path is somebody else's refusal.
 */
@Injectable()
export class PlatformRefusals implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(SIJAX_PATH) private readonly path: string,
  ) {}

  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter;
    if (!adapter) return;
    const type = adapter.getType();
    if (type === 'express') this.express(adapter.getInstance<ExpressLike>());
    else if (type === 'fastify') this.fastify(adapter.getInstance<FastifyLike>());
  }

  /** POST to the Sijax path, under whatever prefix the app mounts it (`/api/sijax`). */
  private isSijaxPost(req: IncomingMessage): boolean {
    if (req.method !== 'POST') return false;
    const url = req.url ?? '';
    const query = url.indexOf('?');
    const pathname = query < 0 ? url : url.slice(0, query);
    const path = this.path.startsWith('/') ? this.path : `/${this.path}`;
    return pathname === path || pathname.endsWith(path) || pathname.endsWith(`${path}/`);
  }

  private express(app: ExpressLike): void {
    app.use((error, req, res, next) => {
      if (!this.isSijaxPost(req) || res.headersSent) return next(error);
      const status = (error as { status?: unknown } | null)?.status;
      refuse(
        req,
        res,
        platformRefusal(typeof status === 'number' ? status : 400),
        callIdOf(req, undefined),
      );
    });
  }

  private fastify(app: FastifyLike): void {
    app.addHook('onSend', (request, reply, payload, done) => {
      if (reply.statusCode < 400 || !this.isSijaxPost(request.raw)) return done(null, payload);
      const raw = request.raw;
      const refused = platformRefusal(reply.statusCode);
      const { status, headers, body } = refusal(raw, refused, callIdOf(raw, undefined));
      reply.code(status);
      reply.headers(headers);
      done(null, body);
    });
  }
}
