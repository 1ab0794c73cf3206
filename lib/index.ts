export { SijaxModule } from './sijax.module';
export { SIJAX_MODULE_OPTIONS } from './sijax.tokens';
export { SijaxRegistry } from './core/sijax.registry';
export { CometCallback, CometHandler, SijaxCallback, SijaxHandler } from './decorators';
export { SijaxResponse } from './response/sijax-response';
export { CometResponse } from './response/comet-response';
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
} from './interfaces';
