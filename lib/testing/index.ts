export { SijaxTestClient } from './sijax-test-client';
export type {
  SijaxTestAnswer,
  SijaxTestCallOptions,
  SijaxTestClientOptions,
} from './sijax-test-client';
export { SijaxStreamCutError, SijaxTestStream } from './sijax-test-stream';
export { commandsOfType, errorOf, readable, returnValueOf } from './readable-commands';
