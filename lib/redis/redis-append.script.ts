import { createHash } from 'crypto';
import type { Redis } from 'ioredis';

/**
 * A call's append as one Redis command: every entry's XADD (exact MAXLEN, the terminal entry
 * keeping one more so that `maxBatches` batches stay readable) and, after the last, what the
 * append's kind asks for. A script runs atomically, as a MULTI does, in one command instead of
 * two plus one per entry: Redis's per-command cost was most of a busy store's CPU.
 *
 * KEYS: log, meta, alive. ARGV: maxBatches, kind ('' | 'first' | 'end'), a TTL in ms, then
 * (id, field, value) per entry.
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

/**
 * Runs the append script by its hash (EVALSHA); a server that does not have it yet (a fresh
 * or restarted Redis, another node) gets it once with EVAL.
 */
export async function runAppend(
  redis: Redis,
  keys: readonly [log: string, meta: string, alive: string],
  maxBatches: number,
  kind: AppendKind,
  ttlMs: number,
  entryArgs: readonly string[],
): Promise<void> {
  const args = [...keys, maxBatches, kind, ttlMs, ...entryArgs];
  try {
    await redis.evalsha(APPEND_SHA, keys.length, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    await redis.eval(APPEND_SCRIPT, keys.length, ...args);
  }
}
