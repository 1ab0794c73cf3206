import type { SijaxResponse } from '../response/sijax-response';

/**
 * Hooks for the four Sijax events. Each runs on the call's own response object, so what it queues
 * is sent with the call's commands. A hook may be a generator in a Comet call.
 * @publicApi
 */
export interface SijaxEvents {
  /** Runs before every call, known or not. @default does nothing */
  beforeProcessing?: (response: SijaxResponse) => unknown;
  /** Runs after every call, also after a failure. @default does nothing */
  afterProcessing?: (response: SijaxResponse) => unknown;
  /** An unknown function name. @default alerts "The action you performed is unavailable! (Sijax error)" */
  invalidRequest?: (response: SijaxResponse, name: string) => unknown;
  /** Wrong arguments for a known function. @default alerts "You tried to perform an action in a wrong way! (Sijax error)" */
  invalidCall?: (response: SijaxResponse, name: string) => unknown;
}
