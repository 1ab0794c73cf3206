import type { CallOutcome } from '../core/call';
import type { CallLogEntry, CallLogLimits, ResumableCallInfo } from '../resume/call-store';

/**
 * One call's keys and channel. The call id is their hash tag, so that all of them live in one
 * Redis Cluster slot: a script over them works there too.
 */
export interface CallKeys {
  /** String: the call's `CallMeta` as JSON. */
  readonly meta: string;
  /** Stream: one entry per batch, then the terminal entry. */
  readonly log: string;
  /** String with a TTL, refreshed by the running instance: the call's sign of life. */
  readonly alive: string;
  /** Pub/sub channel: cancel requests to the running instance, followers' progress from it. */
  readonly control: string;
  /** String with a TTL, set by a cancel request: one published before the call listens is kept. */
  readonly cancel: string;
}

export function callKeys(prefix: string, callId: string): CallKeys {
  const base = `${prefix}{${callId}}`;
  return {
    meta: `${base}:meta`,
    log: `${base}:log`,
    alive: `${base}:alive`,
    control: `${base}:control`,
    cancel: `${base}:cancel`,
  };
}

/** What the meta key holds: followers on other instances read the heartbeat period there. */
export interface CallMeta {
  readonly info: ResumableCallInfo;
  readonly limits: CallLogLimits;
}

export function parseMeta(json: string | null): CallMeta | undefined {
  return json === null ? undefined : (JSON.parse(json) as CallMeta);
}

/**
 * How long the alive key outlives its last refresh: two heartbeat periods, so that a refresh may
 * come late by a whole period, and a follower that checks every quarter period (see
 * `followerBlockMs`) tells a dead instance within 2.25 periods, three at most.
 */
export const aliveTtlMs = (heartbeatMs: number): number => 2 * heartbeatMs;

/** How long a follower's XREAD blocks before it looks for the call's sign of life. */
export const followerBlockMs = (heartbeatMs: number): number =>
  Math.max(10, Math.floor(heartbeatMs / 4));

/**
 * A running call's meta and log are refreshed every heartbeat to this TTL: they never expire
 * while it runs, and if its instance dies they are kept about `retainMs`, as an ended log is.
 */
export const runningTtlMs = (limits: CallLogLimits): number =>
  limits.retainMs + 3 * limits.heartbeatMs;

/**
 * How long a cancel request stays readable. A call looks for it once, when it starts listening
 * (a round trip after it started): a minute covers a slow Redis, and the key costs ~50 bytes.
 */
export const CANCEL_MARK_TTL_MS = 60_000;

/** Entry ids are `<offset>-0`: XRANGE and XREAD then select by offset, no field to parse. */
export const entryId = (offset: number): string => `${offset}-0`;

/** A batch stores its JSON in `j`, the terminal entry its outcome in `o` (the script reads it). */
export const BATCH_FIELD = 'j';
export const OUTCOME_FIELD = 'o';

/** What a batch entry with no JSON holds (and reads back as): no commands. */
export const batchJson = (entry: CallLogEntry): string => entry.json ?? '[]';

/** An entry as XADD's id, field and value, after what `args` holds. */
export function pushEntryArgs(args: string[], entry: CallLogEntry): void {
  if (entry.outcome) args.push(entryId(entry.offset), OUTCOME_FIELD, entry.outcome);
  else args.push(entryId(entry.offset), BATCH_FIELD, batchJson(entry));
}

/** An XRANGE / XREAD item back to an entry. */
export function parseEntry([id, fields]: [string, string[]]): CallLogEntry {
  const offset = Number(id.slice(0, id.indexOf('-')));
  for (let i = 0; i < fields.length; i += 2) {
    if (fields[i] === OUTCOME_FIELD) return { offset, outcome: fields[i + 1] as CallOutcome };
    if (fields[i] === BATCH_FIELD) return { offset, json: fields[i + 1] };
  }
  return { offset, json: batchJson({ offset }) };
}

/** Control channel messages. */
export const CANCEL_MESSAGE = 'cancel';
const PROGRESS = 'progress:';

export const progressMessage = (offset: number): string => `${PROGRESS}${offset}`;

export function parseProgress(message: string): number | undefined {
  if (!message.startsWith(PROGRESS)) return undefined;
  const offset = Number(message.slice(PROGRESS.length));
  return Number.isSafeInteger(offset) ? offset : undefined;
}
