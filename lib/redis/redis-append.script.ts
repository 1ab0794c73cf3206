import { createHash } from 'crypto';
import { APPEND_UNANSWERED } from '../sijax.messages';
import type { RedisClient } from './redis-connections';
import { BATCH_FIELD } from './redis-keys';

/**
 * A call's append as one Redis command: every entry's XADD (exact MAXLEN, the terminal entry
 * keeping one more so that `maxBatches` batches stay readable) and, after the last, what the
 * append's kind asks for. A script runs atomically, as a MULTI does, in one command instead of
 * two plus one per entry: Redis's per-command cost was most of a busy store's CPU.
 *
 * KEYS: log, and for the 'end' kind meta and alive too (a script declares every key it touches,
 * for Redis Cluster). ARGV: maxBatches, kind ('' | 'first' | 'end'), a TTL in ms, then (id,
 * field, value) per entry.
 */
const APPEND_SCRIPT = `
local keep = tonumber(ARGV[1])
for i = 4, #ARGV, 3 do
  local kept = keep
  if ARGV[i + 1] == 'o' then kept = keep + 1 end
  redis.call('XADD', KEYS[1], 'MAXLEN', '=', kept, ARGV[i], ARGV[i + 1], ARGV[i + 2])
end
if ARGV[2] == 'end' then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
  redis.call('DEL', KEYS[3])
elseif ARGV[2] == 'first' then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return 1
`;
const APPEND_SHA = createHash('sha1').update(APPEND_SCRIPT).digest('hex');

/** After the entries: the terminal one's expiries, the log's first TTL, or nothing. */
export type AppendKind = '' | 'first' | 'end';

/** One call's append: a plain XADD, or the script with its keys and arguments. */
export interface AppendCommand {
  /** 0: a plain XADD; else the script, with this many keys first in `args`. */
  readonly keyCount: number;
  readonly args: (string | number)[];
}

/** One batch of a running call (not its first): XADD with exact MAXLEN, no script. */
export const xaddCommand = (
  log: string,
  maxBatches: number,
  id: string,
  json: string,
): AppendCommand => ({
  keyCount: 0,
  args: [log, 'MAXLEN', '=', maxBatches, id, BATCH_FIELD, json],
});

/**
 * The script: `keys` the log's, the meta's and the alive key (the last two for the 'end' kind
 * only), then `entryArgs` (id, field, value per entry).
 */
export function scriptCommand(
  keys: readonly string[],
  maxBatches: number,
  kind: AppendKind,
  ttlMs: number,
  entryArgs: readonly string[],
): AppendCommand {
  const keyCount = kind === 'end' ? 3 : 1;
  const args = keys.slice(0, keyCount) as (string | number)[];
  args.push(maxBatches, kind, ttlMs, ...entryArgs);
  return { keyCount, args };
}

interface QueuedAppend {
  readonly command: AppendCommand;
  readonly resolve: (reply: unknown) => void;
  readonly reject: (error: unknown) => void;
}

const isNoScript = (error: unknown) =>
  error instanceof Error && error.message.startsWith('NOSCRIPT');

/**
 * The appends of the calls running here, sent to Redis. The first of a tick leaves at once;
 * those made after it in the same tick (the replies of one read from Redis let many calls append
 * at once, notably when many end together) leave together at its end (`nextTick`), in one
 * pipeline: one socket write instead of one each, a system call that on a busy instance was
 * much of the store's cost. A call has at most one append in flight (its run sends the next
 * once this one is answered), so a call's entries stay in order. On a Redis Cluster each append
 * leaves on its own: one pipeline there must keep to one node, and the calls' keys are spread
 * over all of them (ioredis's `enableAutoPipelining` then groups the commands per node).
 *
 * The usual append, one batch of a running call, is a plain XADD (`xaddCommand`): no script to
 * look up and run, and fewer, shorter arguments to encode (what a busy instance allocates per
 * batch, its young generation's collections, and so every stream's p99, pay for). The first
 * batch, the terminal entry and several entries at once go through the script, which also sets
 * expiries (`scriptCommand`).
 */
export class AppendQueue {
  private queued: QueuedAppend[] = [];
  /** An append was sent in this tick: the next ones wait for its end. */
  private sending = false;

  constructor(private readonly redis: RedisClient) {}

  /**
   * Sends `command` (see `xaddCommand` and `scriptCommand`); resolves once Redis has answered
   * (with its reply, which no caller reads).
   */
  append(command: AppendCommand): Promise<unknown> {
    if (this.redis.isCluster) return this.send(command);
    if (!this.sending) {
      this.sending = true;
      process.nextTick(endOfTick, this);
      return this.send(command);
    }
    return new Promise((resolve, reject) => this.queued.push({ command, resolve, reject }));
  }

  /** @internal What waited in this tick leaves in one pipeline. */
  endOfTick(): void {
    this.sending = false;
    const queued = this.queued;
    if (queued.length === 0) return;
    this.queued = [];
    const pipeline = this.redis.pipeline();
    for (const { command } of queued) {
      if (command.keyCount > 0) pipeline.evalsha(APPEND_SHA, command.keyCount, ...command.args);
      else pipeline.xadd(...(command.args as [string, ...string[]]));
    }
    let sent: ReturnType<typeof pipeline.exec>;
    try {
      sent = pipeline.exec();
    } catch (error) {
      // ioredis refuses some pipelines at once (a cluster's, across nodes): a throw here, on
      // nextTick, would end the process.
      for (const append of queued) append.reject(error);
      return;
    }
    sent.then(
      (replies) => {
        for (let i = 0; i < queued.length; i++) {
          const { command, resolve, reject } = queued[i];
          const answer = replies?.[i];
          // No answer is no append: never report one as stored.
          if (!answer) reject(new Error(APPEND_UNANSWERED));
          else if (!answer[0]) resolve(answer[1]);
          else if (isNoScript(answer[0])) this.send(command).then(resolve, reject);
          else reject(answer[0]);
        }
      },
      (error: unknown) => queued.forEach((append) => append.reject(error)),
    );
  }

  /**
   * One append on its own; the script by its hash (EVALSHA), and with EVAL on a server that does
   * not have it yet (a fresh or restarted Redis, another node).
   */
  private send({ keyCount, args }: AppendCommand): Promise<unknown> {
    if (keyCount === 0) return this.redis.xadd(...(args as [string, ...string[]]));
    return this.redis.evalsha(APPEND_SHA, keyCount, ...args).catch((error: unknown) => {
      if (!isNoScript(error)) throw error;
      return this.redis.eval(APPEND_SCRIPT, keyCount, ...args);
    });
  }
}

function endOfTick(queue: AppendQueue): void {
  queue.endOfTick();
}
