import { uploadCallName } from './decorators/upload-callback.decorator';
import { toScriptJson } from './protocol/script-json';
import { DEFAULT_SIJAX_PATH, FIELD_REQUEST } from './protocol/wire-names';

/**
 * Options of `uploadFormScript()`.
 * @publicApi
 */
export interface UploadFormScriptOptions {
  /** Where the page posts calls: the module's `path`, with any global prefix. @default '/sijax' */
  path?: string;
}

/**
 * The script that registers a form with the original client's Upload plugin (`sijax_upload.js`),
 * as `register_upload_callback` returned it, for a page to put in a `<script>` element:
 * `jQuery(function() { sjxUpload.registerForm({"formId": "<id>", "callback": "<id>_upload"}); });`.
 * Before that, in the same ready callback, it points the form's `action` at the upload URL,
 * `{path}?sijax_rq=<id>_upload`: the original only sets an empty action, which a browser never
 * reports, and the form would post to the page. Every value is written as script-safe JSON, so
 * no form id can end the script element.
 * @publicApi
 */
export function uploadFormScript(formId: string, options: UploadFormScriptOptions = {}): string {
  const name = uploadCallName(formId);
  const path = options.path ?? DEFAULT_SIJAX_PATH;
  const action =
    path +
    (path.includes('?') ? '&' : '?') +
    new URLSearchParams({ [FIELD_REQUEST]: name }).toString();
  const id = toScriptJson(formId);
  return (
    `jQuery(function() { document.getElementById(${id}).action = ${toScriptJson(action)}; ` +
    `sjxUpload.registerForm({"formId": ${id}, "callback": ${toScriptJson(name)}}); });`
  );
}
