import type { CallOutcome } from '../core/call';
import { parseOffset } from '../protocol/wire-names';
import type { CallLogEntry, CallLogLimits, ResumableCallInfo } from '../resume/call-store';

/**
 * One call's keys. The call id is their hash tag, so that all of them live in one Redis Cluster
 * slot: a script over them works there too.
 */
export interface CallKeys {
  readonly callId: string;
  /** String: the call's `CallMeta` as JSON. */
  readonly meta: string;
  /** Stream: one entry per batch, then the terminal entry. */
  readonly log: string;
  /** String with a TTL, refreshed by the running instance: the call's sign of life. */
  readonly alive: string;
}

export function callKeys(prefix: string, callId: string): CallKeys {
  const base = `${prefix}{${callId}}`;
  return {
    callId,
    meta: `${base}:meta`,
    log: `${base}:log`,
    alive: `${base}:alive`,
  };
}

/**
 * The pub/sub channel of one store (one instance): cancel requests for the calls it runs, and
 * followers' progress reports on them, each message naming its call. One subscription per
 * instance, however many calls it runs; a message reaches the running instance only.
 */
export const runnerChannel = (prefix: string, runnerId: string): string =>
  `${prefix}runner:${runnerId}`;

/**
 * What the meta key holds: followers on other instances read the heartbeat period there, and
 * where the running instance listens (`runner`, its channel).
 */
export interface CallMeta {
  readonly info: ResumableCallInfo;
  readonly limits: CallLogLimits;
  readonly runner: string;
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

/**
 * A runner channel's messages: `<call id> cancel` or `<call id> progress:<offset>` (a call id
 * has no space: see `isCallId`).
 */
const CANCEL = 'cancel';
const PROGRESS = 'progress:';

export const cancelMessage = (callId: string): string => `${callId} ${CANCEL}`;
export const progressMessage = (callId: string, offset: number): string =>
  `${callId} ${PROGRESS}${offset}`;

/** A runner channel's message read back; undefined for one it does not know. */
export type RunnerMessage =
  | { readonly callId: string; readonly cancel: true }
  | { readonly callId: string; readonly cancel: false; readonly progress: number };

export function parseRunnerMessage(message: string): RunnerMessage | undefined {
  const space = message.indexOf(' ');
  if (space <= 0) return undefined;
  const callId = message.slice(0, space);
  const body = message.slice(space + 1);
  if (body === CANCEL) return { callId, cancel: true };
  if (!body.startsWith(PROGRESS)) return undefined;
  const progress = parseOffset(body.slice(PROGRESS.length));
  return progress === undefined ? undefined : { callId, cancel: false, progress };
}
