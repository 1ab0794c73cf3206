import type { SijaxRequest } from '../interfaces/sijax-request.interface';
import { SijaxResponse } from './sijax-response';

/**
 * The response of a Comet call. Same commands as `SijaxResponse`; each `yield` of the handler sends
 * what is queued so far while the handler keeps running.
 * @publicApi
 */
export class CometResponse<TRequest = SijaxRequest> extends SijaxResponse<TRequest> {}
