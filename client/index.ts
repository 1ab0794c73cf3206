// The ESM entry (`nestjs-sijax/client`): the globals, with types, and the typed client. The
// served `sijax.js` is built from globals.ts alone.
export { Sijax, sjxComet } from './globals';
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
export type { UploadOptions, UploadProgress } from './upload';
export type {
  CallContext,
  CallOptions,
  CometTransport,
  CommandProcessor,
  SijaxCall,
  SijaxCommand,
  SijaxError,
} from './types';
