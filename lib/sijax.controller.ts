import {
  Controller,
  Delete,
  Get,
  Patch,
  Put,
  Inject,
  Post,
  Req,
  Res,
  UseFilters,
  type Type,
} from '@nestjs/common';
import { randomBytes } from 'crypto';
import type { IncomingMessage } from 'http';
import { CLIENT_FILE_NAME, CSRF_COOKIE } from './sijax.constants';
import { SijaxDispatcher } from './sijax.dispatcher';
import { SijaxOptions } from './sijax-options';
import { CometStream } from './transport/comet-stream';
import { checkCsrf, readCookie } from './transport/csrf.check';
import { OpenCometStreams } from './transport/open-comet-streams';
import { nodeRequest, nodeResponse, requestBody } from './transport/platform.util';
import { errorCommand } from './errors/describe-failure';
import { refuse, sendCommands } from './transport/sijax-error.reply';
import { SijaxRouteFilter } from './transport/sijax-route.filter';
import { SijaxClientAsset } from './transport/sijax-client.asset';
import { callIdOf, parseSijaxRequest, type SijaxCall } from './transport/sijax-request.parser';

/** Speaks HTTP for the module: takes calls, serves the client. Made per `forRoot()` path. */
@UseFilters(SijaxRouteFilter)
export class SijaxControllerBase {
  // Explicit tokens: the subclass made per path carries no design:paramtypes of its own.
  constructor(
    @Inject(SijaxDispatcher) private readonly dispatcher: SijaxDispatcher,
    @Inject(SijaxOptions) private readonly options: SijaxOptions,
    @Inject(SijaxClientAsset) private readonly client: SijaxClientAsset,
    @Inject(OpenCometStreams) private readonly streams: OpenCometStreams,
  ) {}

  @Post()
  async call(@Req() request: unknown, @Res() response: unknown): Promise<void> {
    const req = nodeRequest(request);
    const res = nodeResponse(response);
    let call: SijaxCall | undefined;
    try {
      const parsed = parseSijaxRequest(req, requestBody(request), this.options);
      call = parsed instanceof Promise ? await parsed : parsed;
      if (this.options.csrf) checkCsrf(req, call.csrfToken, this.options.csrf);
    } catch (error) {
      return refuse(req, res, error, call?.callId ?? callIdOf(requestBody(request)));
    }
    // A browser that left while guards or the body parser ran has nothing to answer to.
    if (res.destroyed) return;
    const context = this.dispatcher.prepare(call, request, response);
    if (context.streaming) {
      const onEnd = (done: CometStream) => this.streams.delete(done);
      this.streams.add(new CometStream(this.dispatcher, context, res, onEnd));
      return;
    }
    const commands = await this.dispatcher.run(context);
    sendCommands(res, context.status, commands);
  }

  @Get(CLIENT_FILE_NAME)
  script(@Req() request: unknown, @Res() response: unknown): void {
    const req = nodeRequest(request);
    const res = nodeResponse(response);
    const { body, etag } = this.client;
    const headers: Record<string, string> = {
      'Content-Type': 'application/javascript; charset=utf-8',
      'Cache-Control': 'public, no-cache',
      ETag: etag,
    };
    // Token mode: every page that loads the client gets the double-submit cookie it echoes.
    if (this.options.csrf && this.options.csrf.token && !readCookie(req, CSRF_COOKIE)) {
      headers['Set-Cookie'] = csrfCookie(req);
      headers['Cache-Control'] = 'private, no-cache'; // no shared cache may keep a cookie
    }
    if (req.headers['if-none-match'] === etag) res.writeHead(304, headers).end();
    else res.writeHead(200, { ...headers, 'Content-Length': body.length }).end(body);
  }

  // One route per method: Fastify refuses an "all methods" route beside the POST one.
  @Get()
  get(@Res() response: unknown): void {
    methodNotAllowed(response);
  }

  @Put()
  put(@Res() response: unknown): void {
    methodNotAllowed(response);
  }

  @Patch()
  patch(@Res() response: unknown): void {
    methodNotAllowed(response);
  }

  @Delete()
  delete(@Res() response: unknown): void {
    methodNotAllowed(response);
  }
}

function methodNotAllowed(response: unknown): void {
  const res = nodeResponse(response);
  res.setHeader('Allow', 'POST');
  const failure = {
    status: 405,
    message: 'Sijax calls are POST requests',
    name: 'MethodNotAllowed',
  };
  sendCommands(res, 405, [errorCommand(failure)]);
}

function csrfCookie(req: IncomingMessage): string {
  // Behind a proxy that terminates TLS, the proxy says so; a Secure cookie is never sent over http.
  const https =
    (req.socket as { encrypted?: boolean }).encrypted ||
    req.headers['x-forwarded-proto'] === 'https';
  const secure = https ? '; Secure' : '';
  return `${CSRF_COOKIE}=${randomBytes(24).toString('base64url')}; Path=/; SameSite=Strict${secure}`;
}

/** A controller class per path, so two modules never share mutated metadata. */
export function createSijaxController(path: string): Type<SijaxControllerBase> {
  @Controller(path)
  class SijaxController extends SijaxControllerBase {}
  return SijaxController;
}
