import { END_OFFSET, START_OFFSET } from '../lib/protocol/iframe-chunk';
import { calls, report } from './calls';
import { processors } from './commands';
import type { CommandProcessor, SijaxCommand } from './types';
import { sjxError } from './util';

/** The registered processor, else an old page's `Sijax.process_<type>` function. */
export function getCommandProcessor(type: string): CommandProcessor | undefined {
  const legacy = (window as unknown as { Sijax?: Record<string, unknown> }).Sijax?.[
    'process_' + type
  ];
  return (
    processors.get(type) ||
    (typeof legacy === 'function' ? (legacy as CommandProcessor) : undefined)
  );
}

export function registerCommand(type: string, processor: CommandProcessor): void {
  processors.set(type, processor);
}

/**
 * Runs commands in order. `callId` routes `return`/`error` commands and the callbacks to that call.
 * `offset` numbers a resumable call's batches: each runs once, however often it arrives; offset
 * 0 announces a resumable call, -1 its end. A failing command is reported and the rest of the
 * batch is skipped.
 */
export function processCommands(
  commands: SijaxCommand[],
  callId?: string,
  offset?: number,
  heartbeatMs?: number,
): void {
  const call = callId ? calls.get(callId) : undefined;
  if (SIJAX_RESUME && call) {
    call.alive?.();
    if (offset === undefined) call.resumable ??= false;
    else {
      if (offset === START_OFFSET) [call.resumable, call.heartbeatMs] = [true, heartbeatMs];
      if (offset === END_OFFSET) call.ended = true;
      if (offset <= call.offset) return;
      call.offset = offset;
    }
  }
  try {
    for (const command of commands) {
      if (call?.options.onCommand?.(command) === false) continue;
      const processor = getCommandProcessor(command.type);
      if (!processor) throw sjxError('Unknown command type: ' + command.type);
      processor(command, call);
    }
  } catch (e) {
    report(e instanceof Error ? e : sjxError(String(e)), call);
  }
}
