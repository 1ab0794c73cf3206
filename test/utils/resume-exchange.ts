import { randomBytes } from 'node:crypto';
import { sseParser } from '../../lib/protocol/sse-frame';

/** A call id as the bundled client makes them: 128 random bits, base64url. */
export const newCallId = (): string => randomBytes(16).toString('base64url');

export interface Frame {
  id?: string;
  event: string;
  data: string;
}

export function frames(text: string): Frame[] {
  const found: Frame[] = [];
  sseParser((event) => found.push(event))(text);
  return found;
}

/** What an event stream of a progress call brought: batch ids, `#progress` texts, commands. */
export interface Progress {
  ids: number[];
  steps: string[];
  commands: { type?: string; selector?: string; html?: string; name?: string }[];
  ended: boolean;
}

export function progressOf(text: string): Progress {
  const all = frames(text);
  const batches = all.filter((frame) => frame.event === 'commands');
  const commands = batches.flatMap((frame) => JSON.parse(frame.data) as Progress['commands']);
  return {
    ids: batches.map((frame) => Number(frame.id)),
    steps: commands
      .filter((command) => command.selector === '#progress')
      .map((command) => command.html!),
    commands,
    ended: all.some((frame) => frame.event === 'end'),
  };
}

export const sse = (extra: Record<string, string> = {}): Record<string, string> => ({
  Accept: 'text/event-stream',
  ...extra,
});

export const formBody = (fields: Record<string, string>): string =>
  new URLSearchParams(fields).toString();

export const callBody = (callId: string, name: string, args: unknown[]): string =>
  formBody({ sijax_rq: name, sijax_args: JSON.stringify(args), sijax_call: callId });

/** `n of total` for each step in `from..to`. */
export const stepTexts = (from: number, to: number, total: number): string[] =>
  Array.from({ length: to - from + 1 }, (_, i) => `${from + i} of ${total}`);
