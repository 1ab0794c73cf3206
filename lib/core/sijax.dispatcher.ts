import { Injectable, Logger } from '@nestjs/common';
import { CometResponse } from '../response/comet-response';
import { SijaxResponse } from '../response/sijax-response';
import { UploadResponse } from '../response/upload-response';
import type { SijaxRequest } from '../interfaces';
import { SijaxOptions } from '../sijax-options';
import { Call, type CallSettings } from './call';
import type { CallRequest } from './call-request';
import { SijaxRegistry } from './sijax.registry';

/** Turns a posted call into a running `Call`: the handler it names, its response object. */
@Injectable()
export class SijaxDispatcher {
  private readonly settings: CallSettings;

  constructor(
    private readonly registry: SijaxRegistry,
    options: SijaxOptions,
  ) {
    this.settings = {
      events: options.events,
      timeoutMs: options.timeoutMs,
      logger: new Logger('Sijax'),
    };
  }

  /** The answer's kind follows the registration; an unknown name follows how it was posted. */
  prepare(request: CallRequest, platformRequest: unknown, platformResponse: unknown): Call {
    const handler = this.registry.find(request.name);
    const streaming = handler ? handler.kind !== 'sijax' : request.transport !== undefined;
    const sijaxRequest = platformRequest as SijaxRequest;
    const response = handler?.upload
      ? new UploadResponse(sijaxRequest, request.name, handler.upload.formId)
      : new (streaming ? CometResponse : SijaxResponse)(sijaxRequest, request.name);
    return new Call(
      request,
      response,
      streaming,
      handler,
      platformRequest,
      platformResponse,
      this.settings,
    );
  }
}
