import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'http';
import type { Call } from '../core/call';
import type { RunRequest, StreamTransport } from '../core/call-request';
import { GUARDS_PASSED } from '../core/handler-pipeline';
import { SijaxRegistry } from '../core/sijax.registry';
import type { SijaxRequest } from '../interfaces';
import { RESUMABLE_ID_LENGTH } from '../protocol/wire-names';
import { SijaxResponse } from '../response/sijax-response';
import { CallGoneError, NotCallOwnerError } from '../resume/call-errors';
import { ResumableCalls } from '../resume/resumable-calls';
import { SijaxOptions } from '../sijax-options';
import { CALL_ID_TOO_SHORT } from '../sijax.messages';
import { csrfCookieName, readCookie } from './csrf.check';
import { refuse, replyCommands } from './replies';

/**
 * The HTTP side of resumable calls: a new call, a re-post or attach that follows one, a cancel.
 * Every one but the first checks the call's owner and runs its handler's guards again.
 */
@Injectable()
export class ResumableRequests {
  constructor(
    @Inject(ResumableCalls) private readonly calls: ResumableCalls,
    @Inject(SijaxRegistry) private readonly registry: SijaxRegistry,
    @Inject(SijaxOptions) private readonly options: SijaxOptions,
  ) {}

  /** A call of a resumable handler: started, or followed when it is a re-post. */
  async call(
    call: Call,
    request: unknown,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const { callId, after, transport } = call.request;
    try {
      if (callId!.length < RESUMABLE_ID_LENGTH) {
        throw new BadRequestException(CALL_ID_TOO_SHORT(RESUMABLE_ID_LENGTH));
      }
      // A re-post after a cut follows the call; the handler never runs twice.
      if (after !== undefined)
        return await this.follow(callId!, call.name, after, transport, request, req, res);
      if (await this.calls.start(call, req, res, this.ownerOf(request, req))) return;
      // The id is taken: the first answer never reached the page. Follow from the start.
      await this.follow(callId!, call.name, 0, transport, request, req, res);
    } catch (error) {
      refuse(req, res, error, callId);
    }
  }

  /** `sijax_attach` or `sijax_cancel`. */
  async run(
    run: RunRequest,
    request: unknown,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    try {
      if (run.kind === 'attach') {
        return await this.follow(
          run.callId,
          undefined,
          run.after,
          run.transport,
          request,
          req,
          res,
        );
      }
      await this.allowed(run.callId, undefined, request, req, res);
      await this.calls.cancel(run.callId);
      replyCommands(res, 200, []);
    } catch (error) {
      refuse(req, res, error, run.callId);
    }
  }

  private async follow(
    callId: string,
    name: string | undefined,
    after: number,
    transport: StreamTransport | undefined,
    request: unknown,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const found = await this.allowed(callId, name, request, req, res);
    await this.calls.attach(callId, found, after, transport, req, res);
  }

  /**
   * The call's name, once the caller may touch it: the call exists (else 410), is the caller's
   * (else 403, whatever the reason) and its handler's guards let the caller through.
   */
  private async allowed(
    callId: string,
    name: string | undefined,
    request: unknown,
    req: IncomingMessage,
    response: unknown,
  ): Promise<string> {
    const info = await this.calls.store.info(callId);
    if (!info || (name !== undefined && info.name !== name)) throw new CallGoneError();
    if (info.owner !== undefined && info.owner !== this.ownerOf(request, req)) {
      throw new NotCallOwnerError();
    }
    const guard = this.registry.find(info.name)?.guard;
    if (guard) {
      const answer = await guard(
        request,
        response,
        new SijaxResponse(request as SijaxRequest, info.name),
        [],
      );
      if (answer !== GUARDS_PASSED) throw new NotCallOwnerError();
    }
    return info.name;
  }

  /** `resume.owner(request)`; by default, in token mode, the CSRF cookie's token. */
  private ownerOf(request: unknown, req: IncomingMessage): string | undefined {
    const { resume, csrf } = this.options;
    if (resume.owner) return resume.owner(request as SijaxRequest);
    return csrf && csrf.token ? readCookie(req, csrfCookieName(request, req)) : undefined;
  }
}
