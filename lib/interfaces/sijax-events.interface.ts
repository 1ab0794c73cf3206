import type { SijaxFailure } from '../errors/describe-failure';
import type { SijaxResponse } from '../response/sijax-response';

/**
 * Hooks for the Sijax events. Each runs on the call's own response object, so what it queues is
 * sent with the call's commands. A hook may be a generator in a Comet call.
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
  /**
   * A call from the original Sijax client (no `sijax_call` field) failed. That client knows no
   * `error` command, so the failure is reported with the commands it knows; synchronous. Calls
   * from the bundled client get an `error` command instead, which rejects their promise.
   * @default alerts the failure's safe message, e.g. "Internal server error (Sijax error)"
   */
  callFailed?: (response: SijaxResponse, failure: SijaxFailure) => void;
}
