import {
  BadRequestException,
  Controller,
  Delete,
  Get,
  Inject,
  MethodNotAllowedException,
  Patch,
  Post,
  Put,
  Req,
  Res,
  UseFilters,
  type Type,
} from '@nestjs/common';
import type { IncomingMessage } from 'http';
import type { CallRequest, RunRequest } from '../core/call-request';
import { SijaxDispatcher } from '../core/sijax.dispatcher';
import { SijaxRegistry, type RegisteredHandler } from '../core/sijax.registry';
import { CLIENT_FILE_NAME, FIELD_REQUEST } from '../protocol/wire-names';
import { SijaxOptions } from '../sijax-options';
import { METHOD_NOT_ALLOWED, UPLOAD_NOT_MULTIPART } from '../sijax.messages';
import { CometStreams } from '../transports/comet-streams';
import { watchConnection } from '../transports/connection-watch';
import { SijaxClientAsset } from './client-asset';
import { csrfCookie } from './csrf-cookie';
import { checkCsrf, csrfCookieName, readCookie } from './csrf.check';
import { nodeRequest, nodeResponse, requestBody } from './platform';
import { refuse, replyCommands } from './replies';
import { ResumableRequests } from './resumable-requests';
import { callIdOf, parseCallRequest } from './request-parser';
import { SijaxRouteFilter } from './sijax-route.filter';
import { UploadRequests } from './upload-requests';

/** Speaks HTTP for the module: takes calls, serves the client. Made per `forRoot()` path. */
@UseFilters(SijaxRouteFilter)
export class SijaxControllerBase {
  // Explicit tokens: the subclass made per path carries no design:paramtypes of its own.
  constructor(
    @Inject(SijaxDispatcher) private readonly dispatcher: SijaxDispatcher,
    @Inject(SijaxOptions) private readonly options: SijaxOptions,
    @Inject(SijaxClientAsset) private readonly client: SijaxClientAsset,
    @Inject(CometStreams) private readonly streams: CometStreams,
    @Inject(ResumableRequests) private readonly resumable: ResumableRequests,
    @Inject(UploadRequests) private readonly uploads: UploadRequests,
    @Inject(SijaxRegistry) private readonly registry: SijaxRegistry,
  ) {}

  /** A multipart POST whose URL names an upload callback (`?sijax_rq=<form>_upload`). */
  private uploadHandler(
    req: IncomingMessage,
  ): { handler: RegisteredHandler; query: URLSearchParams } | undefined {
    const url = req.url ?? '';
    const start = url.indexOf('?');
    if (start < 0 || !(req.headers['content-type'] ?? '').toLowerCase().startsWith('multipart/'))
      return undefined;
    const query = new URLSearchParams(url.slice(start + 1));
    const handler = this.registry.find(query.get(FIELD_REQUEST) ?? '');
    return handler?.kind === 'upload' ? { handler, query } : undefined;
  }

  @Post()
  async call(@Req() request: unknown, @Res() response: unknown): Promise<void> {
    const req = nodeRequest(request);
    const res = nodeResponse(response);
    const upload = this.uploadHandler(req);
    if (upload)
      return this.uploads.handle(upload.handler, request, response, req, res, upload.query);
    let parsed: CallRequest | RunRequest;
    try {
      const read = parseCallRequest(req, requestBody(request), this.options);
      parsed = read instanceof Promise ? await read : read;
      if (this.options.csrf) checkCsrf(request, req, parsed.csrfToken, this.options.csrf);
    } catch (error) {
      return refuse(req, res, error, callIdOf(req, requestBody(request)));
    }
    // A browser that left while guards or the body parser ran has nothing to answer to.
    if (res.destroyed) return;
    if ('kind' in parsed) return this.resumable.run(parsed, request, req, res);
    if (this.registry.find(parsed.name)?.kind === 'upload') {
      const misposted = new BadRequestException(UPLOAD_NOT_MULTIPART(parsed.name));
      return refuse(req, res, misposted, parsed.callId);
    }
    const call = this.dispatcher.prepare(parsed, request, response);
    // The original client sends no call id: nothing to resume by, so its calls run as they are.
    if (call.resumable && !parsed.legacy) return this.resumable.call(call, request, req, res);
    // Not awaited: the route is done once the stream runs (Nest keeps nothing of it).
    if (call.streaming) return void this.streams.start(call, req, res);
    const unwatch = watchConnection(req, res, { connectionGone: () => call.cancel() });
    const commands = await call.run();
    unwatch();
    replyCommands(res, call.status, commands);
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
    const { csrf } = this.options;
    if (csrf && csrf.token && !readCookie(req, csrfCookieName(request, req))) {
      headers['Set-Cookie'] = csrfCookie(request, req);
      headers['Cache-Control'] = 'private, no-cache'; // no shared cache may keep a cookie
    }
    if (req.headers['if-none-match'] === etag) res.writeHead(304, headers).end();
    else res.writeHead(200, { ...headers, 'Content-Length': body.length }).end(body);
  }

  // One route per method: Fastify refuses an "all methods" route beside the POST one.
  @Get()
  get(@Req() request: unknown, @Res() response: unknown): void {
    methodNotAllowed(request, response);
  }

  @Put()
  put(@Req() request: unknown, @Res() response: unknown): void {
    methodNotAllowed(request, response);
  }

  @Patch()
  patch(@Req() request: unknown, @Res() response: unknown): void {
    methodNotAllowed(request, response);
  }

  @Delete()
  delete(@Req() request: unknown, @Res() response: unknown): void {
    methodNotAllowed(request, response);
  }
}

function methodNotAllowed(request: unknown, response: unknown): void {
  const res = nodeResponse(response);
  res.setHeader('Allow', 'POST');
  refuse(nodeRequest(request), res, new MethodNotAllowedException(METHOD_NOT_ALLOWED), undefined);
}

/** A controller class per path, so two modules never share mutated metadata. */
export function createSijaxController(path: string): Type<SijaxControllerBase> {
  @Controller(path)
  class SijaxController extends SijaxControllerBase {}
  return SijaxController;
}
