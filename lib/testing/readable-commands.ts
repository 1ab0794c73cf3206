import type { SijaxCommand } from '../protocol/commands';
import { ERROR_COMMAND, RETURN_COMMAND, type SijaxErrorCommand } from '../protocol/commands';

/**
 * A batch as the test client hands it over: the commands as on the wire, except that
 * `setType: 'replace'`, the default of `html` and `attr`, is left out, so that an assertion reads
 * like the call that queued it: `{ type: 'html', selector: '#p', html: '1 of 3' }`.
 */
export function readable(commands: readonly SijaxCommand[]): SijaxCommand[] {
  return commands.map((command) => {
    if (command.setType !== 'replace') return command;
    const { setType: _replace, ...rest } = command;
    return rest;
  });
}

/** The value of the `return` command among `batches` (flattened), or undefined. */
export function returnValueOf(batches: readonly (readonly SijaxCommand[])[]): unknown {
  for (const batch of batches) {
    for (const command of batch) if (command.type === RETURN_COMMAND) return command.value;
  }
  return undefined;
}

/** The first `error` command among `batches`, or undefined. */
export function errorOf(
  batches: readonly (readonly SijaxCommand[])[],
): SijaxErrorCommand | undefined {
  for (const batch of batches) {
    const found = batch.find((command) => command.type === ERROR_COMMAND);
    if (found) return found as SijaxErrorCommand;
  }
  return undefined;
}

/** Every command of `batches` of the given type, in order. */
export function commandsOfType(
  batches: readonly (readonly SijaxCommand[])[],
  type: string,
): SijaxCommand[] {
  return batches.flatMap((batch) => batch.filter((command) => command.type === type));
}
