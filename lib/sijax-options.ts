import { Inject, Injectable } from '@nestjs/common';
import type {
  SijaxEvents,
  SijaxModuleOptions,
  SijaxRequest,
  SijaxUploadLimits,
} from './interfaces';
import type { CallStore } from './resume/call-store';
import { MemoryCallStore } from './resume/memory-call-store';
import { SIJAX_DEFAULTS } from './sijax.constants';
import { FAILURE_ALERT, INVALID_CALL_ALERT, INVALID_REQUEST_ALERT } from './sijax.messages';
import { SIJAX_MODULE_OPTIONS } from './sijax.tokens';

type RequiredEvents = Required<Pick<SijaxEvents, 'invalidRequest' | 'invalidCall' | 'callFailed'>>;

/** The module's options with every default filled in, in one place. */
@Injectable()
export class SijaxOptions {
  /** Before/after hooks stay undefined unless given, so calls skip those stages entirely. */
  readonly events: SijaxEvents & RequiredEvents;
  readonly bodyLimit: number;
  readonly maxJsonDepth: number = SIJAX_DEFAULTS.maxJsonDepth;
  readonly maxParts: number = SIJAX_DEFAULTS.maxParts;
  readonly timeoutMs?: number;
  readonly heartbeatMs: number | false;
  readonly clientWarnings: boolean;
  readonly csrf: { trustedOrigins: ReadonlySet<string>; token: boolean } | false;
  readonly upload: SijaxUploadLimits;
  readonly resume: {
    readonly store: CallStore;
    readonly lingerMs: number;
    readonly retainMs: number;
    readonly maxBatches: number;
    readonly owner?: (request: SijaxRequest) => string | undefined;
  };

  constructor(@Inject(SIJAX_MODULE_OPTIONS) options: SijaxModuleOptions) {
    this.events = {
      invalidRequest: (response) => response.alert(INVALID_REQUEST_ALERT),
      invalidCall: (response) => response.alert(INVALID_CALL_ALERT),
      callFailed: (response, failure) => response.alert(FAILURE_ALERT(failure.message)),
      ...options.events,
    };
    this.bodyLimit = options.bodyLimit ?? SIJAX_DEFAULTS.bodyLimit;
    this.timeoutMs = options.timeoutMs;
    this.heartbeatMs = options.heartbeatMs ?? SIJAX_DEFAULTS.heartbeatMs;
    this.clientWarnings = options.clientWarnings ?? process.env.NODE_ENV !== 'production';
    this.upload = options.upload ?? {};
    const resume = options.resume ?? {};
    this.resume = {
      store: resume.store ?? new MemoryCallStore(),
      lingerMs: resume.lingerMs ?? SIJAX_DEFAULTS.lingerMs,
      retainMs: resume.retainMs ?? SIJAX_DEFAULTS.retainMs,
      maxBatches: resume.maxBatches ?? SIJAX_DEFAULTS.maxBatches,
      owner: resume.owner,
    };
    const csrf = options.csrf ?? {};
    this.csrf = csrf && {
      trustedOrigins: new Set((csrf.trustedOrigins ?? []).map(serializedOrigin)),
      token: csrf.token ?? false,
    };
  }
}

/** As browsers send it in `Origin`, so that `https://App.example.com:443/` matches too. */
function serializedOrigin(origin: string): string {
  try {
    return new URL(origin).origin;
  } catch {
    return origin;
  }
}
