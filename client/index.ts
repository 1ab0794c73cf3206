import { attach, cometRequest } from './comet';
import { configure, getCsrfToken, getRequestUri, setCsrfToken, setRequestUri } from './config';
import { getFormValues } from './form-values';
import { getCommandProcessor, processCommands, registerCommand } from './process';
import { FIELD_ARGS, FIELD_REQUEST } from '../lib/protocol/wire-names';
import { request } from './transport';

export type { AttachOptions } from './comet';
export { createSijaxClient, type SijaxClient } from './typed';
export type {
  CometCallsOf,
  SijaxCallOf,
  SijaxCalls,
  SijaxCallSignature,
  SijaxCallsOf,
  SijaxHandlerCalls,
  SijaxResultOf,
} from '../lib/protocol/typed-calls';
export type {
  CallContext,
  CallOptions,
  CometTransport,
  CommandProcessor,
  SijaxCall,
  SijaxCommand,
  SijaxError,
} from './types';

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
  attach,
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
  }
}

// Globals for pages and for the script chunks of Comet iframes (`window.parent.Sijax`).
window.Sijax = Sijax;
window.sjxComet = sjxComet;
