import { GatewayTimeoutException, Injectable, Logger } from '@nestjs/common';
import { Observable } from 'rxjs';
import { describeFailure, errorCommand } from './errors/describe-failure';
import { SijaxCancelledError } from './errors/sijax-cancelled.error';
import { CometResponse } from './response/comet-response';
import type { SijaxCommand } from './response/sijax-command.interface';
import { SijaxResponse, type SijaxRequest } from './response/sijax-response';
import { HANDLER_FAILED, INVALID_ARGS, TIMED_OUT, UNKNOWN_FUNCTION } from './sijax.messages';
import { SijaxOptions } from './sijax-options';
import { SijaxRegistry, type RegisteredHandler } from './sijax.registry';
import { drainOutput } from './stream/command-sink';
import { StageSink, type CallSink } from './stream/stage-sink';
import type { SijaxCall } from './transport/sijax-request.parser';
import { argumentCountProblem } from './utils/parameter-count.util';

/** Everything about one call while it runs. State is per call, never shared. */
export interface SijaxCallContext {
  readonly call: SijaxCall;
  /**
   * The platform's request and response, as Nest guards expect them. The response is let go
   * once the handler's pipeline has it, so a stream that owns its connection does not keep it.
   */
  readonly request: unknown;
  platformResponse: unknown;
  readonly response: SijaxResponse;
  readonly handler?: RegisteredHandler;
  /** Comet: answered as a stream of script chunks. */
  readonly streaming: boolean;
  /** HTTP status to send, if the headers are still unsent: the first failure sets it. */
  status: number;
  /** Settles when a streamed call has run to its end (or stopped after a cancel). */
  settled?: Promise<void>;
}

/** Lets the consumer of a stream push back: resolves when it can take more. */
export interface StreamGate {
  ready(): Promise<void> | undefined;
}

/** Regular calls answer once: nothing to flush to, nobody pushing back. */
const regularSink = (): CallSink => ({
  streaming: false,
  closed: false,
  flush: () => undefined,
  ready: () => undefined,
});

/** Runs calls: before-processing, the handler (or an invalid-request/-call event), after-processing. */
@Injectable()
export class SijaxDispatcher {
  private readonly logger = new Logger('Sijax');

  constructor(
    private readonly registry: SijaxRegistry,
    private readonly options: SijaxOptions,
  ) {}

  /** The response kind follows the registration; an unknown name follows how it was posted. */
  prepare(call: SijaxCall, request: unknown, platformResponse: unknown): SijaxCallContext {
    const handler = this.registry.find(call.name);
    const streaming = handler ? handler.kind === 'comet' : call.iframe;
    const Response = streaming ? CometResponse : SijaxResponse;
    const response = new Response(request as SijaxRequest, call.name);
    return { call, request, platformResponse, response, handler, streaming, status: 200 };
  }

  /** Runs a regular call to its end and returns every command it queued. */
  async run(context: SijaxCallContext): Promise<SijaxCommand[]> {
    await this.execute(context, regularSink());
    return context.response.takeCommands() ?? [];
  }

  /**
   * Runs a Comet call: each `yield` of the handler emits the commands queued so far. Unsubscribing
   * cancels the call: `response.signal` fires and the handler's generator is returned.
   */
  stream(context: SijaxCallContext, gate?: StreamGate): Observable<SijaxCommand[]> {
    const { response } = context;
    return new Observable<SijaxCommand[]>((subscriber) => {
      const sink: CallSink = {
        streaming: true,
        closed: false,
        flush: () => {
          const batch = response.takeCommands();
          if (batch) subscriber.next(batch);
        },
        ready: () => gate?.ready(),
      };
      let ended = false;
      context.settled = this.execute(context, sink).then(
        () => ((ended = true), subscriber.complete()),
        (error: unknown) => ((ended = true), subscriber.error(error)),
      );
      // Runs on unsubscribe, and also after a normal end, when there is nothing to cancel.
      return () => {
        if (sink.closed || ended) return;
        sink.closed = true;
        response.abort(new SijaxCancelledError());
        sink.current?.stop();
      };
    });
  }

  private async execute(context: SijaxCallContext, sink: CallSink): Promise<void> {
    const { events, timeoutMs } = this.options;
    const { response, handler } = context;
    const { beforeProcessing, afterProcessing } = events;
    const ok =
      !beforeProcessing || (await this.stage(context, sink, () => beforeProcessing(response)));
    if (ok && !sink.closed) {
      const limit = handler?.timeoutMs ?? timeoutMs;
      await this.stage(context, sink, () => this.main(context), true, limit);
    }
    if (afterProcessing && !sink.closed)
      await this.stage(context, sink, () => afterProcessing(response));
  }

  /** Runs one stage to its end; a failure becomes an error command. Returns false on failure. */
  private async stage(
    context: SijaxCallContext,
    call: CallSink,
    start: () => unknown,
    isHandler = false,
    timeoutMs?: number,
  ): Promise<boolean> {
    const sink = new StageSink(call);
    let timer: NodeJS.Timeout | undefined;
    let ok = true;
    try {
      const run = drainOutput(start(), sink);
      const value =
        timeoutMs === undefined
          ? await run
          : await new Promise<unknown>((resolve, reject) => {
              timer = setTimeout(() => {
                sink.stop();
                const error = new GatewayTimeoutException(TIMED_OUT(context.call.name, timeoutMs));
                context.response.abort(error);
                reject(error);
              }, timeoutMs);
              Promise.resolve(run).then(resolve, reject);
            });
      if (isHandler && value !== undefined && !(value instanceof SijaxResponse)) {
        context.response.addCommand('return', { value });
      }
    } catch (error) {
      ok = false;
      if (!call.closed) this.fail(context, error);
    } finally {
      clearTimeout(timer);
    }
    if (!call.closed) call.flush();
    return ok;
  }

  private main(context: SijaxCallContext): unknown {
    const { call, handler, response, request, platformResponse } = context;
    context.platformResponse = undefined;
    const { events } = this.options;
    if (!handler) {
      this.logger.warn(UNKNOWN_FUNCTION(call.name));
      return events.invalidRequest(response, call.name);
    }
    const args = 'args' in call.args ? call.args.args : undefined;
    const problem = args
      ? argumentCountProblem(handler.minArgs, handler.maxArgs, args.length)
      : (call.args as { error: string }).error;
    if (!args || problem) {
      this.logger.warn(INVALID_ARGS(call.name, problem ?? ''));
      return events.invalidCall(response, call.name);
    }
    return handler.run(request, platformResponse, response, args);
  }

  /** Logs once and tells the client, without leaking internals of unexpected errors. */
  private fail(context: SijaxCallContext, error: unknown): void {
    const failure = describeFailure(error);
    const what = HANDLER_FAILED(context.call.name);
    if (failure.status >= 500) {
      this.logger.error(what, error instanceof Error ? error.stack : String(error));
    } else {
      this.logger.warn(`${what}: ${failure.status} ${failure.message}`);
    }
    if (context.status === 200) context.status = failure.status;
    context.response.addCommand('error', errorCommand(failure));
  }
}
