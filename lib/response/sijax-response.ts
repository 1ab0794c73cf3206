import { SijaxError } from '../errors/sijax.error';
import type { SijaxRequest } from '../interfaces/sijax-request.interface';
import type { SijaxCommand, SijaxSetType } from '../protocol/commands';
import { CALL_PARAMS_NOT_ARRAY } from '../sijax.messages';

/**
 * The response of a regular Sijax call: each method queues one command for the browser and returns
 * `this`, so calls chain. The queued commands are sent when the call ends.
 * @publicApi
 */
export class SijaxResponse<TRequest = SijaxRequest> {
  private commands: SijaxCommand[] = [];
  private abortController?: AbortController;
  private abortReason?: unknown;

  constructor(
    /** The HTTP request of this call (e.g. to read the signed-in user). */
    readonly request: TRequest,
    /** The public name the browser called. */
    readonly callName: string = '',
  ) {}

  /** Fires when the call is cancelled: the browser went away, a timeout, or shutdown. */
  get signal(): AbortSignal {
    if (!this.abortController) {
      this.abortController = new AbortController();
      if (this.abortReason !== undefined) this.abortController.abort(this.abortReason);
    }
    return this.abortController.signal;
  }

  /** Shows `window.alert(message)`. */
  alert(message: string): this {
    return this.push({ type: 'alert', alert: message });
  }

  /** Replaces the inner HTML of every element matching `selector`. */
  html(selector: string, html: string): this {
    return this.push({ type: 'html', selector, html, setType: 'replace' });
  }

  /** Appends HTML inside every element matching `selector`. */
  htmlAppend(selector: string, html: string): this {
    return this.push({ type: 'html', selector, html, setType: 'append' });
  }

  /** Prepends HTML inside every element matching `selector`. */
  htmlPrepend(selector: string, html: string): this {
    return this.push({ type: 'html', selector, html, setType: 'prepend' });
  }

  /** Sets a property (or attribute) of every element matching `selector`. */
  attr(selector: string, key: string, value: unknown): this {
    return this.attrCommand(selector, key, value, 'replace');
  }

  /** Appends `value` to the current value of a property. */
  attrAppend(selector: string, key: string, value: unknown): this {
    return this.attrCommand(selector, key, value, 'append');
  }

  /** Prepends `value` to the current value of a property. */
  attrPrepend(selector: string, key: string, value: unknown): this {
    return this.attrCommand(selector, key, value, 'prepend');
  }

  /** Sets one CSS property of every element matching `selector`. */
  css(selector: string, property: string, value: string | number): this {
    return this.push({ type: 'css', selector, key: property, value });
  }

  /** Runs JavaScript in the page (needs `'unsafe-eval'` under a Content-Security-Policy). */
  script(javascript: string): this {
    return this.push({ type: 'script', script: javascript });
  }

  /** Removes every element matching `selector`. */
  remove(selector: string): this {
    return this.push({ type: 'remove', remove: selector });
  }

  /** Sends the browser to `uri` (a `script` command, as in the original). */
  redirect(uri: string): this {
    return this.script(`window.location = ${JSON.stringify(uri)};`);
  }

  /** Calls a global function by dotted path (`'app.ui.refresh'`) with `params` spread. */
  call(functionName: string, params: readonly unknown[] | null = []): this {
    if (params !== null && params !== undefined && !Array.isArray(params)) {
      throw new SijaxError(CALL_PARAMS_NOT_ARRAY);
    }
    return this.push({ type: 'call', call: functionName, params: params ?? [] });
  }

  /** Queues a command of any type: the extension point for custom client-side processors. */
  addCommand(type: string, params: Record<string, unknown> = {}): this {
    return this.push({ ...params, type });
  }

  /** Drops every command queued and not yet sent. */
  clearCommands(): this {
    this.commands = [];
    return this;
  }

  /** The commands queued and not yet sent. */
  get pendingCommands(): readonly SijaxCommand[] {
    return this.commands;
  }

  /** @internal Hands the queued commands over for sending, or null when there are none. */
  takeCommands(): SijaxCommand[] | null {
    const batch = this.commands;
    if (batch.length === 0) return null;
    this.commands = [];
    return batch;
  }

  /** @internal Cancels the call: `signal` fires with `reason`. */
  abort(reason: unknown): void {
    if (this.abortReason !== undefined) return;
    this.abortReason = reason;
    this.abortController?.abort(reason);
  }

  // Literal objects on the hot path: a spread per command costs more than the rest of it.
  private push(command: SijaxCommand): this {
    this.commands.push(command);
    return this;
  }

  private attrCommand(selector: string, key: string, value: unknown, setType: SijaxSetType): this {
    return this.push({ type: 'attr', selector, key, value, setType });
  }
}
