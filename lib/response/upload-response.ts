import type { SijaxRequest } from '../interfaces/sijax-request.interface';
import { CometResponse } from './comet-response';

/**
 * The response of an upload call: streams like `CometResponse` (`yield` sends what is queued),
 * and can reset the form it came from.
 * @publicApi
 */
export class UploadResponse<TRequest = SijaxRequest> extends CometResponse<TRequest> {
  constructor(
    request: TRequest,
    callName: string,
    /** The id of the form the files came from. */
    readonly formId: string,
  ) {
    super(request, callName);
  }

  /** Resets the form in the page (`sjxUpload.resetForm(formId)`, as the original did). */
  resetForm(): this {
    return this.call('sjxUpload.resetForm', [this.formId]);
  }
}
