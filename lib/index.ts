export { SijaxModule } from './sijax.module';
export { SIJAX_MODULE_OPTIONS } from './sijax.tokens';
export { SijaxRegistry } from './sijax.registry';
export { CometCallback, CometHandler, SijaxCallback, SijaxHandler } from './decorators';
export { SijaxResponse, type SijaxRequest } from './response/sijax-response';
export { CometResponse } from './response/comet-response';
export type { SijaxCommand, SijaxSetType } from './response/sijax-command.interface';
export { SijaxCancelledError, SijaxError } from './errors';
export type {
  SijaxCallbackOptions,
  SijaxCallKind,
  SijaxCsrfOptions,
  SijaxEvents,
  SijaxHandlerDefinition,
  SijaxHandlerOptions,
  SijaxModuleExtras,
  SijaxModuleOptions,
} from './interfaces';
