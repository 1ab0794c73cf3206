import { ForbiddenException, GoneException } from '@nestjs/common';
import { CALL_GONE, CALL_LOST, CALL_NOT_YOURS } from '../sijax.messages';

/**
 * A resumable call that is unknown, expired, or whose log no longer holds what a client asked
 * for: answered 410, and the client's handle rejects with this name.
 * @publicApi
 */
export class CallGoneError extends GoneException {
  override name = 'CallGoneError';

  constructor() {
    super(CALL_GONE);
  }
}

/**
 * The instance running a followed call stopped answering (it died): the follower gives up.
 * @publicApi
 */
export class CallLostError extends GoneException {
  override name = 'CallLostError';

  constructor() {
    super(CALL_LOST);
  }
}

/** Resume, attach or cancel by someone else than the call's owner: 403, revealing nothing. */
export class NotCallOwnerError extends ForbiddenException {
  constructor() {
    super(CALL_NOT_YOURS);
  }
}
