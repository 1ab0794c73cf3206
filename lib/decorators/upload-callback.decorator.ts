import { SetMetadata } from '@nestjs/common';
import type { SijaxHandlerMetadata, SijaxUploadOptions } from '../interfaces';
import { SIJAX_CALLBACK_METADATA } from '../sijax.constants';

/** The public name of a form's upload callback, as Sijax's Upload plugin made it. */
export const uploadCallName = (formId: string): string => `${formId}_upload`;

/**
 * Registers one method as the upload callback of the form `formId` (Sijax's
 * `register_upload_callback`), under the name `<formId>_upload`. It is called as
 * `(response: UploadResponse, files, formValues)` and streams like a Comet function.
 * @publicApi
 */
export function UploadCallback(formId: string, options: SijaxUploadOptions = {}): MethodDecorator {
  const { timeoutMs, ...upload } = options;
  const metadata: SijaxHandlerMetadata = {
    kind: 'upload',
    name: uploadCallName(formId),
    upload: { ...upload, formId },
  };
  // Only when given: a class decorator's time limit applies otherwise.
  if (timeoutMs !== undefined) metadata.timeoutMs = timeoutMs;
  return SetMetadata(SIJAX_CALLBACK_METADATA, metadata);
}
