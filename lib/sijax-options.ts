import { Inject, Injectable } from '@nestjs/common';
import type { SijaxEvents, SijaxModuleOptions } from './interfaces';
import { INVALID_CALL_ALERT, INVALID_REQUEST_ALERT, SIJAX_DEFAULTS } from './sijax.constants';
import { SIJAX_MODULE_OPTIONS } from './sijax.tokens';

/** The module's options with every default filled in, in one place. */
@Injectable()
export class SijaxOptions {
  /** Before/after hooks stay undefined unless given, so calls skip those stages entirely. */
  readonly events: SijaxEvents & Required<Pick<SijaxEvents, 'invalidRequest' | 'invalidCall'>>;
  readonly bodyLimit: number;
  readonly maxJsonDepth: number = SIJAX_DEFAULTS.maxJsonDepth;
  readonly timeoutMs?: number;
  readonly heartbeatMs: number | false;
  readonly csrf: { trustedOrigins: ReadonlySet<string>; token: boolean } | false;

  constructor(@Inject(SIJAX_MODULE_OPTIONS) options: SijaxModuleOptions) {
    this.events = {
      invalidRequest: (response) => response.alert(INVALID_REQUEST_ALERT),
      invalidCall: (response) => response.alert(INVALID_CALL_ALERT),
      ...options.events,
    };
    this.bodyLimit = options.bodyLimit ?? SIJAX_DEFAULTS.bodyLimit;
    this.timeoutMs = options.timeoutMs;
    this.heartbeatMs = options.heartbeatMs ?? SIJAX_DEFAULTS.heartbeatMs;
    const csrf = options.csrf ?? {};
    this.csrf = csrf && {
      trustedOrigins: new Set(csrf.trustedOrigins ?? []),
      token: csrf.token ?? false,
    };
  }
}
