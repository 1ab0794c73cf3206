import { attach, cometRequest } from './comet';
import { configure, getCsrfToken, getRequestUri, setCsrfToken, setRequestUri } from './config';
import { getFormValues } from './form-values';
import { getCommandProcessor, processCommands, registerCommand } from './process';
import { FIELD_ARGS, FIELD_REQUEST } from '../lib/protocol/wire-names';
import { request } from './transport';
import { upload } from './upload';
import { sjxError } from './util';

/**
 * What a smaller build leaves out (the server has no handler that needs it) fails clearly, not
 * with `undefined is not a function`.
 */
const notServed = (what: string) => (): never => {
  throw sjxError(`Sijax.${what}: no such handler on the server`);
};

/**
 * The page's globals, as the served `sijax.js` installs them: `Sijax`, `sjxComet` (which the
 * iframe transport's chunks call as `window.parent.Sijax`), and `sjxUpload.resetForm`.
 */
export const Sijax = {
  PARAM_REQUEST: FIELD_REQUEST,
  PARAM_ARGS: FIELD_ARGS,
  configure,
  setRequestUri,
  getRequestUri,
  /** Kept for old pages: JSON is native now. */
  setJsonUri: ((): void => {}) as (uri?: string) => void,
  setCsrfToken,
  getCsrfToken,
  request,
  attach: SIJAX_RESUME ? attach : notServed('attach'),
  upload: SIJAX_UPLOAD ? upload : notServed('upload'),
  processCommands,
  getCommandProcessor,
  registerCommand,
  getFormValues,
};

export const sjxComet = { request: cometRequest };

declare global {
  interface Window {
    Sijax: typeof Sijax;
    sjxComet: typeof sjxComet;
    /** `UploadResponse.resetForm()` calls `sjxUpload.resetForm(formId)`. */
    sjxUpload: { resetForm(formId: string): void };
  }
}

// Globals for pages and for the script chunks of Comet iframes (`window.parent.Sijax`).
window.Sijax = Sijax;
window.sjxComet = sjxComet;
if (SIJAX_UPLOAD) {
  // The original plugin's own, when the page loaded `sijax_upload.js`.
  window.sjxUpload ||= {
    resetForm: (id) => (document.getElementById(id) as HTMLFormElement | null)?.reset(),
  };

  // `<form id="x" data-sijax-upload>` uploads itself when submitted: no inline script needed.
  document.addEventListener('submit', (event) => {
    const form = event.target as HTMLFormElement;
    if (event.defaultPrevented || !form.hasAttribute('data-sijax-upload')) return;
    event.preventDefault();
    void upload(form);
  });
}
