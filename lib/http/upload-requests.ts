import {
  BadRequestException,
  ForbiddenException,
  Inject,
  Injectable,
  PayloadTooLargeException,
} from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'http';
import { tmpdir } from 'os';
import type { CallRequest } from '../core/call-request';
import { GUARDS_PASSED } from '../core/handler-pipeline';
import { SijaxDispatcher } from '../core/sijax.dispatcher';
import type { RegisteredHandler } from '../core/sijax.registry';
import type { SijaxRequest, UploadFormValues } from '../interfaces';
import {
  FIELD_ARGS,
  FIELD_CALL_ID,
  FIELD_CSRF,
  FIELD_REQUEST,
  isCallId,
} from '../protocol/wire-names';
import { UploadResponse } from '../response/upload-response';
import { SIJAX_DEFAULTS } from '../sijax.constants';
import { SijaxOptions } from '../sijax-options';
import {
  BODY_TOO_LARGE,
  MULTIPART_TOO_LARGE,
  UPLOAD_ARGS,
  UPLOAD_NAME_MISMATCH,
} from '../sijax.messages';
import { CometStreams } from '../transports/comet-streams';
import { readMultipart, type FileLimits } from './body/multipart';
import { UploadParts } from './body/upload-parts';
import { UploadSpool } from './body/upload-spool';
import { checkCsrfOrigin, checkCsrfToken } from './csrf.check';
import { refuse } from './replies';
import { requestedTransport } from './request-parser';

const SIJAX_FIELDS = new Set([FIELD_REQUEST, FIELD_ARGS, FIELD_CALL_ID, FIELD_CSRF]);
/** Keys that would reach a prototype when a handler merges the form values. */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Upload calls (Sijax's Upload plugin): a form with files, posted to `{path}?sijax_rq=<form>_upload`
 * so that the function is known, and its guards and the CSRF check run, before a byte of a file
 * is stored. Files are spooled to temporary files (or handed over as they arrive), the call
 * streams like a Comet call, and the files are removed when it ends, however it ends.
 */
@Injectable()
export class UploadRequests {
  constructor(
    @Inject(SijaxDispatcher) private readonly dispatcher: SijaxDispatcher,
    @Inject(SijaxOptions) private readonly options: SijaxOptions,
    @Inject(CometStreams) private readonly streams: CometStreams,
  ) {}

  async handle(
    handler: RegisteredHandler,
    request: unknown,
    response: unknown,
    req: IncomingMessage,
    res: ServerResponse,
    query: URLSearchParams,
  ): Promise<void> {
    const upload = handler.upload!;
    const limits = this.limitsOf(handler);
    const queryCallId = query.get(FIELD_CALL_ID);
    const callId = isCallId(queryCallId) ? queryCallId : undefined;
    const spool = new UploadSpool(limits.tmpDir);
    const parts = upload.stream ? new UploadParts() : undefined;
    const fields: [string, string][] = [];
    let checked = false;
    let formFields = 0;
    let started: Promise<void> | undefined;
    const start = () =>
      (started ??= this.start(
        handler,
        request,
        response,
        req,
        res,
        fields,
        parts ?? spool.files,
        callId,
      ));
    try {
      this.refuseDeclaredLength(req, limits);
      const { csrf } = this.options;
      if (csrf) checkCsrfOrigin(request, req, csrf);
      if (handler.guard) {
        const sijax = new UploadResponse(request as SijaxRequest, handler.name, upload.formId);
        const answer = await handler.guard(request, response, sijax, []);
        if (answer !== GUARDS_PASSED) throw new ForbiddenException();
      }
      // Before the first file byte is kept: the fields so far must name this call, and carry
      // the CSRF token unless a header did.
      const check = () => {
        if (checked) return;
        checked = true;
        this.checkFields(handler, fields, request, req);
      };
      await readMultipart(
        req,
        req.headers['content-type'] ?? '',
        { bodyLimit: this.options.bodyLimit, maxParts: this.options.maxParts },
        {
          field: (name, value) => {
            if (!SIJAX_FIELDS.has(name) && ++formFields > limits.maxFields)
              throw new PayloadTooLargeException(
                MULTIPART_TOO_LARGE(`has more than ${limits.maxFields} fields`),
              );
            fields.push([name, value]);
          },
          file: (part) => {
            check();
            if (!parts) return spool.write(part);
            void start();
            return parts.push({
              field: part.field,
              name: part.filename,
              type: part.type,
              stream: part.stream,
            });
          },
        },
        // The Sijax fields are the protocol's, not the form's: `fields` bounds the form's own.
        { ...limits, maxFields: limits.maxFields + SIJAX_FIELDS.size },
      );
      check();
      parts?.end();
      await start();
    } catch (error) {
      parts?.fail(error as Error);
      // A refusal before the stream began; a streamed call's own failures are its error path.
      if (!started) refuse(req, res, error, callId);
    } finally {
      await (started ?? Promise.resolve()).catch(() => undefined);
      await spool.remove();
    }
  }

  /** Runs the call as a stream on `res`; resolves once it has settled. */
  private start(
    handler: RegisteredHandler,
    request: unknown,
    response: unknown,
    req: IncomingMessage,
    res: ServerResponse,
    fields: [string, string][],
    files: unknown,
    queryCallId: string | undefined,
  ): Promise<void> {
    const bodyCallId = fieldOf(fields, FIELD_CALL_ID);
    const callId = isCallId(bodyCallId) ? bodyCallId : queryCallId;
    const call: CallRequest = {
      name: handler.name,
      args: { args: [files, formValues(fields)] },
      callId,
      transport: requestedTransport(req),
      legacy: callId === undefined,
      guardsRan: true,
    };
    return this.streams.start(this.dispatcher.prepare(call, request, response), req, res);
  }

  /** The body's own `sijax_rq` and `sijax_args` must agree with the URL; the token must be there. */
  private checkFields(
    handler: RegisteredHandler,
    fields: [string, string][],
    request: unknown,
    req: IncomingMessage,
  ): void {
    const name = fieldOf(fields, FIELD_REQUEST);
    if (name !== undefined && name !== handler.name)
      throw new BadRequestException(UPLOAD_NAME_MISMATCH);
    const args = fieldOf(fields, FIELD_ARGS);
    if (args !== undefined && args !== JSON.stringify([handler.upload!.formId])) {
      throw new BadRequestException(UPLOAD_ARGS(handler.upload!.formId));
    }
    const { csrf } = this.options;
    if (csrf && csrf.token) checkCsrfToken(request, req, fieldOf(fields, FIELD_CSRF));
  }

  /** A declared length beyond what the limits allow is refused before reading. */
  private refuseDeclaredLength(req: IncomingMessage, limits: FileLimits): void {
    const declared = Number(req.headers['content-length']);
    const parts = limits.maxFiles + limits.maxFields + SIJAX_FIELDS.size;
    const most =
      this.options.bodyLimit +
      limits.maxFiles * limits.maxFileSize +
      parts * SIJAX_DEFAULTS.maxPartHeaderSize;
    if (declared > most) throw new PayloadTooLargeException(BODY_TOO_LARGE(most));
  }

  private limitsOf(handler: RegisteredHandler): FileLimits & { tmpDir: string } {
    const own = handler.upload?.upload ?? {};
    const module = this.options.upload;
    return {
      maxFiles: own.files ?? module.files ?? SIJAX_DEFAULTS.uploadFiles,
      maxFileSize: own.fileSize ?? module.fileSize ?? SIJAX_DEFAULTS.uploadFileSize,
      maxFields: own.fields ?? module.fields ?? SIJAX_DEFAULTS.uploadFields,
      tmpDir: own.tmpDir ?? module.tmpDir ?? tmpdir(),
    };
  }
}

function fieldOf(fields: [string, string][], name: string): string | undefined {
  let found: string | undefined;
  for (const [field, value] of fields) {
    if (field !== name) continue;
    if (found !== undefined)
      throw new BadRequestException(`The field ${name} must be sent once, as text`);
    found = value;
  }
  return found;
}

/** The form's other fields: a value, or the values of a name sent more than once. */
function formValues(fields: [string, string][]): UploadFormValues {
  const values: UploadFormValues = {};
  for (const [name, value] of fields) {
    if (SIJAX_FIELDS.has(name) || UNSAFE_KEYS.has(name)) continue;
    const current = Object.prototype.hasOwnProperty.call(values, name) ? values[name] : undefined;
    values[name] = current === undefined ? value : [...([] as string[]).concat(current), value];
  }
  return values;
}
