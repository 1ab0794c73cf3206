import { GatewayTimeoutException, type Logger } from '@nestjs/common';
import { describeFailure, errorCommand, type SijaxFailure } from '../errors/describe-failure';
import { SijaxCancelledError } from '../errors/sijax-cancelled.error';
import type { SijaxEvents } from '../interfaces';
import { RETURN_COMMAND, type SijaxCommand } from '../protocol/commands';
import { SijaxResponse } from '../response/sijax-response';
import {
  HANDLER_FAILED,
  INVALID_ARGS,
  SHUTTING_DOWN,
  TIMED_OUT,
  UNKNOWN_FUNCTION,
} from '../sijax.messages';
import type { CallRequest } from './call-request';
import { drainOutput, type Stage } from './drain-output';
import { argumentCountProblem } from './parameter-count';
import { GUARDS_PASSED } from './handler-pipeline';
import type { RegisteredHandler } from './sijax.registry';

/** How a call ended; a resumable call's log ends with it. */
export type CallOutcome = 'end' | 'error' | 'timeout' | 'cancel' | 'shutdown';

/**
 * Where a streamed call's batches go: a transport's writer, or a resumable call's log. The call
 * knows nothing of how they travel.
 */
export interface CallSink {
  /** One batch of commands; offsets count from 1, one per batch. */
  write(batch: SijaxCommand[], offset: number): void;
  /** Resolves when the sink can take more; undefined when it can now (backpressure). */
  ready(): Promise<void> | undefined;
  /** Nothing more comes. Called once, on every path. */
  end(outcome: CallOutcome): void;
}

/** What every call of the module shares. */
export interface CallSettings {
  readonly events: Required<Pick<SijaxEvents, 'invalidRequest' | 'invalidCall' | 'callFailed'>> &
    SijaxEvents;
  readonly timeoutMs?: number;
  readonly logger: Logger;
}

const SHUTDOWN: SijaxFailure = {
  status: 503,
  message: SHUTTING_DOWN,
  name: 'ServiceUnavailableException',
};

/**
 * One call while it runs: before-processing, the handler (or the invalid-request or invalid-call
 * event), after-processing. All state is per call; a streamed call flushes to its sink at every
 * `yield`, a regular one answers once.
 */
export class Call {
  /** The HTTP status to answer with while nothing is sent yet: the first failure sets it. */
  status = 200;
  // Every field set up front (also the empty ones): one shape for every call, on a hot path.
  private sink: CallSink | undefined = undefined;
  private offset = 0;
  private stage: CallStage | undefined = undefined;
  /** Set by `cancel()`: the call stops and its sink is ended. */
  private stopped: 'cancel' | 'shutdown' | undefined = undefined;
  private failed = false;
  private timedOut = false;
  private ended = false;
  /** The platform's request and response, as guards expect them; let go once the handler has them. */
  private platform: [request: unknown, response: unknown] | undefined;

  constructor(
    readonly request: CallRequest,
    readonly response: SijaxResponse,
    /** Comet (or an unknown name posted for a stream): answered as batches. */
    readonly streaming: boolean,
    private readonly handler: RegisteredHandler | undefined,
    platformRequest: unknown,
    platformResponse: unknown,
    private readonly settings: CallSettings,
  ) {
    this.platform = [platformRequest, platformResponse];
  }

  get name(): string {
    return this.request.name;
  }

  /** Its handler is resumable (Comet, `resumable: true`). */
  get resumable(): boolean {
    return this.handler?.resumable === true;
  }

  get cancelled(): boolean {
    return this.stopped !== undefined;
  }

  /** Runs a regular call to its end and returns every command it queued. */
  run(): Promise<SijaxCommand[]> {
    return this.execute().then(() => this.response.takeCommands() ?? []);
  }

  /**
   * Runs a streamed call: each flush writes one batch to `sink`, which is ended on every path.
   * (Promise chains, not async functions: an idle stream holds no suspended frames of ours.)
   */
  stream(sink: CallSink): Promise<void> {
    this.sink = sink;
    return this.execute().then(() =>
      this.end(this.failed ? (this.timedOut ? 'timeout' : 'error') : 'end'),
    );
  }

  /**
   * Stops the call: `response.signal` fires and the running stage is stopped (a generator is
   * returned, an Observable unsubscribed). At shutdown the client is told at once, with a 503
   * error, since a handler that ignores its signal may take a while to notice.
   */
  cancel(reason: 'cancel' | 'shutdown' = 'cancel'): void {
    if (this.stopped || this.ended) return;
    this.stopped = reason;
    this.response.abort(new SijaxCancelledError());
    this.stage?.stop();
    if (reason === 'shutdown') {
      this.response.clearCommands();
      if (this.status === 200) this.status = SHUTDOWN.status;
      this.response.addCommand('error', errorCommand(SHUTDOWN));
      this.flush();
    }
    this.end(reason);
  }

  /** Hands the queued commands to the sink as one batch (streamed calls). */
  flush(): void {
    if (!this.sink || this.ended) return;
    const batch = this.response.takeCommands();
    if (batch) this.sink.write(batch, ++this.offset);
  }

  ready(): Promise<void> | undefined {
    return this.sink?.ready();
  }

  private end(outcome: CallOutcome): void {
    if (this.ended) return;
    this.ended = true;
    this.sink?.end(outcome);
  }

  private execute(): Promise<unknown> {
    const { events, timeoutMs } = this.settings;
    const { beforeProcessing, afterProcessing } = events;
    const response = this.response;
    const limit = this.handler?.timeoutMs ?? timeoutMs;
    const handler = () => this.runStage(() => this.main(), true, limit);
    let run: Promise<unknown> = beforeProcessing
      ? this.runStage(() => beforeProcessing(response)).then((ok) =>
          ok && !this.stopped ? handler() : undefined,
        )
      : handler();
    if (afterProcessing) {
      run = run.then(() =>
        this.stopped ? undefined : this.runStage(() => afterProcessing(response)),
      );
    }
    return run;
  }

  /** Runs one stage to its end; a failure becomes an error command. Resolves false on failure. */
  private runStage(start: () => unknown, isHandler = false, timeoutMs?: number): Promise<boolean> {
    const stage = (this.stage = new CallStage(this));
    let run: unknown;
    try {
      run = drainOutput(start(), stage);
    } catch (error) {
      return Promise.resolve(this.stageEnded(true, error));
    }
    if (timeoutMs !== undefined) run = this.timeLimited(run, stage, timeoutMs);
    return Promise.resolve(run).then(
      (value) => {
        if (isHandler && value !== undefined && !(value instanceof SijaxResponse)) {
          if (!this.request.legacy) this.response.addCommand(RETURN_COMMAND, { value });
        }
        return this.stageEnded(false);
      },
      (error: unknown) => this.stageEnded(true, error),
    );
  }

  /** A stage is over: what it queued goes out. Returns whether it went well. */
  private stageEnded(failed: boolean, error?: unknown): boolean {
    if (failed && !this.stopped) this.fail(error);
    this.flush();
    return !failed;
  }

  /** `run`, or a 504 once `timeoutMs` passed: the stage is stopped, the call goes on. */
  private timeLimited(run: unknown, stage: CallStage, timeoutMs: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        stage.stop();
        this.timedOut = true;
        const error = new GatewayTimeoutException(TIMED_OUT(this.name, timeoutMs));
        this.response.abort(error);
        reject(error);
      }, timeoutMs);
      Promise.resolve(run).then(
        (value) => (clearTimeout(timer), resolve(value)),
        (error: unknown) => (clearTimeout(timer), reject(error as Error)),
      );
    });
  }

  private main(): unknown {
    const { request, handler, response } = this;
    const [platformRequest, platformResponse] = this.platform!;
    this.platform = undefined;
    const { events, logger } = this.settings;
    if (!handler) {
      logger.warn(UNKNOWN_FUNCTION(request.name));
      return events.invalidRequest(response, request.name);
    }
    const invoke = (): unknown => {
      const args = 'args' in request.args ? request.args.args : undefined;
      // An upload's arguments are the server's own (files, form values), not the browser's.
      const problem = !args
        ? (request.args as { error: string }).error
        : handler.kind === 'upload'
          ? undefined
          : argumentCountProblem(handler.minArgs, handler.maxArgs, args.length);
      if (!args || problem) {
        logger.warn(INVALID_ARGS(request.name, problem ?? ''));
        return events.invalidCall(response, request.name);
      }
      return handler.run(platformRequest, platformResponse, response, args);
    };
    // Handler guards first: a refused caller learns nothing of the function's arguments.
    if (!handler.guard || request.guardsRan) return invoke();
    return handler
      .guard(platformRequest, platformResponse, response, [])
      .then((answer) => (answer === GUARDS_PASSED ? invoke() : answer));
  }

  /** Logs once and tells the client, without leaking internals of unexpected errors. */
  private fail(error: unknown): void {
    const failure = describeFailure(error);
    const what = HANDLER_FAILED(this.name);
    const { logger, events } = this.settings;
    if (failure.status >= 500) {
      logger.error(what, error instanceof Error ? error.stack : String(error));
    } else {
      logger.warn(`${what}: ${failure.status} ${failure.message}`);
    }
    this.failed = true;
    // The original client runs commands only from a 200 answer, as the original protocol gave
    // for every problem it reported (unknown name, wrong arguments).
    if (this.request.legacy) return events.callFailed(this.response, failure);
    if (this.status === 200) this.status = failure.status;
    this.response.addCommand('error', errorCommand(failure));
  }
}

/**
 * One stage of a call. It can be stopped on its own (a timeout) while the call goes on to its
 * after-processing stage; cancelling the call stops it too.
 */
class CallStage implements Stage {
  stopCurrent: (() => void) | undefined = undefined;
  private stopped = false;

  constructor(private readonly call: Call) {}

  get streaming(): boolean {
    return this.call.streaming;
  }

  get closed(): boolean {
    return this.stopped || this.call.cancelled;
  }

  flush(): void {
    if (!this.stopped) this.call.flush();
  }

  ready(): Promise<void> | undefined {
    return this.call.ready();
  }

  stop(): void {
    this.stopped = true;
    this.stopCurrent?.();
  }
}
