export { SijaxModule } from './sijax.module';
export { SIJAX_MODULE_OPTIONS } from './sijax.tokens';
export { SijaxRegistry } from './core/sijax.registry';
export {
  CometCallback,
  CometHandler,
  SijaxCallback,
  SijaxHandler,
  UploadCallback,
} from './decorators';
export { SijaxResponse } from './response/sijax-response';
export { CometResponse } from './response/comet-response';
export { UploadResponse } from './response/upload-response';
export { uploadFormScript, type UploadFormScriptOptions } from './upload-script';
export type { SijaxCommand, SijaxErrorCommand, SijaxSetType } from './protocol/commands';
export { SijaxCancelledError, SijaxError } from './errors';
export type { SijaxFailure } from './errors/describe-failure';
export type {
  SijaxCallbackOptions,
  SijaxCallKind,
  SijaxCsrfOptions,
  SijaxEvents,
  SijaxHandlerDefinition,
  SijaxHandlerOptions,
  SijaxModuleExtras,
  SijaxModuleOptions,
  SijaxRequest,
  SijaxResumeOptions,
  SijaxUploadLimits,
  SijaxUploadOptions,
  UploadedFile,
  UploadFormValues,
  UploadPart,
} from './interfaces';
export { MemoryCallStore, type MemoryCallStoreOptions } from './resume/memory-call-store';
export type {
  CallLogEntry,
  CallLogLimits,
  CallLogRead,
  CallStore,
  ResumableCallInfo,
} from './resume/call-store';
export { CallGoneError, CallLostError } from './resume/call-errors';
export type { CallOutcome } from './core/call';
