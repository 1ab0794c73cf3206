import type { SijaxCommand } from '../protocol/commands';

/** What makes a transport: how a streamed call's batches become bytes. The writer does the rest. */
export interface StreamEncoder {
  /** Headers of the answer, sent with the first bytes. */
  headers(): Record<string, string>;
  /** Bytes before the first batch (asked once, so an idle stream does not keep them). */
  preamble(): string;
  /** One batch; throws when a value cannot be encoded (the writer reports it). */
  batch(commands: readonly SijaxCommand[], offset: number): string;
  /** One batch from its JSON (a resumable call's log keeps batches so). */
  batchOfJson(json: string, offset: number): string;
  /** Sent on a silent stream so that proxies keep it open; ignored by the client. */
  readonly heartbeat: string;
  /** The last bytes of a call that ended, so the client tells an end from a cut; may be ''. */
  readonly ending: string;
}
