import type { SijaxCommand } from '../lib/protocol/commands';

export type { SijaxCommand };

/** The Error a call handle rejects with and `sijax:error` carries. */
export interface SijaxError extends Error {
  /** HTTP status, or 0 when there is none (network failure, abort, bad command). */
  status: number;
}

/** How a Comet call streams: a hidden iframe (the original's way, the default) or fetch. */
export type CometTransport = 'iframe' | 'fetch';

export interface CallOptions {
  /** Comet calls: the transport of this call (default: `Sijax.configure({ transport })`'s). */
  transport?: CometTransport;
  /** Endpoint for this call only (default: `Sijax.getRequestUri()`). */
  url?: string;
  /** Extra POST fields, sent next to `sijax_rq` and `sijax_args`. */
  data?: Record<string, unknown>;
  /** Called before each command of this call runs; returning `false` skips the command. */
  onCommand?(command: SijaxCommand): boolean | void;
  /** Called when this call fails; returning `false` keeps the error out of the console. */
  onError?(error: Error): boolean | void;
}

/** What a command processor learns about the call its command belongs to. */
export interface CallContext {
  readonly name: string;
  readonly id: string;
  readonly options: CallOptions;
  /** The value the handle resolves with (set by the `return` command). */
  value?: unknown;
  /** The first error of this call; the handle rejects with it. */
  error?: Error;
}

export type CommandProcessor = (command: SijaxCommand, call?: CallContext) => void;

/** A started call: a Promise of the handler's return value that can also be aborted. */
export type SijaxCall<T = unknown> = Promise<T> & {
  readonly id: string;
  abort(): void;
};
