import {
  Injectable,
  ServiceUnavailableException,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'http';
import type { Call } from '../core/call';
import type { StreamTransport } from '../core/call-request';
import { SIJAX_DEFAULTS } from '../sijax.constants';
import { SHUTTING_DOWN } from '../sijax.messages';
import { SijaxOptions } from '../sijax-options';
import { CallGoneError } from './call-errors';
import { CometStreams, encoderFor } from '../transports/comet-streams';
import { StreamWriter } from '../transports/stream-writer';
import type { CallLogLimits, CallStore } from './call-store';
import { ResumableRun } from './resumable-run';
import { RunReader, type ReplayPages } from './run-reader';

/** What a follower writes its head with: a resumed call's status is 200. */
const FOLLOWED = (name: string) => ({ status: 200, name });

/**
 * The resumable calls of this instance, and the connections that follow them, here or (through
 * the store) on other instances.
 */
@Injectable()
export class ResumableCalls implements BeforeApplicationShutdown {
  private readonly runs = new Map<string, ResumableRun>();
  /** The same for every call: one object, not one a call for the store to keep. */
  private readonly limits: CallLogLimits;

  constructor(
    private readonly options: SijaxOptions,
    private readonly streams: CometStreams,
  ) {
    const { resume, heartbeatMs } = options;
    this.limits = {
      maxBatches: resume.maxBatches,
      retainMs: resume.retainMs,
      heartbeatMs: heartbeatMs || SIJAX_DEFAULTS.heartbeatMs,
    };
  }

  get store(): CallStore {
    return this.options.resume.store;
  }

  /** Starts a new resumable call with this connection as its first reader; false if its id is taken. */
  async start(
    call: Call,
    req: IncomingMessage,
    res: ServerResponse,
    owner?: string,
  ): Promise<boolean> {
    const { resume } = this.options;
    const callId = call.request.callId!;
    if (!(await this.store.create({ callId, name: call.name, owner }, this.limits))) return false;
    const run = new ResumableRun(call, this.store, resume, (done) => this.runs.delete(done.callId));
    this.runs.set(callId, run);
    const reader = this.localReader(run, 0, call.request.transport, req, res);
    run.add(reader, []);
    reader.writer.open();
    run.start();
    return true;
  }

  /**
   * A connection follows the call `callId` from `after` on: the log's replay, then live batches.
   * Rejects with `CallGoneError` (before anything is written) when the log cannot serve it.
   */
  async attach(
    callId: string,
    name: string,
    after: number,
    transport: StreamTransport | undefined,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const run = this.runs.get(callId);
    if (run) {
      // Registered first, so that nothing delivered while the replay is read is missed.
      const reader = this.localReader(run, after, transport, req, res);
      const read = Promise.resolve(this.store.read(callId, after, SIJAX_DEFAULTS.replayPage));
      run.add(
        reader,
        read.then(({ entries }) => entries),
        this.pages(callId),
      );
      try {
        await read;
      } catch (error) {
        run.remove(reader);
        throw error;
      }
      return reader.writer.open();
    }
    // Checked before the head goes out (410); the follow reads the log itself, a page at a time.
    const { entries, ended } = await this.store.read(callId, after, 1);
    // Ended at or before `after`: the log has nothing to serve from there.
    if (ended && entries.length === 0) throw new CallGoneError();
    this.remoteReader(callId, name, after, transport, req, res);
  }

  /** The rest of a replay, a page at a time. */
  private pages(callId: string): ReplayPages {
    return (after) => this.store.read(callId, after, SIJAX_DEFAULTS.replayPage);
  }

  /** Resolves once the call `callId` running here has ended (at once if none does). */
  settled(callId: string): Promise<void> {
    return this.runs.get(callId)?.settled ?? Promise.resolve();
  }

  /** Stops the call wherever it runs. */
  async cancel(callId: string): Promise<void> {
    const run = this.runs.get(callId);
    if (run) run.call.cancel();
    else await this.store.requestCancel(callId);
  }

  /** Calls with no reader left still run: they end too, with the shutdown outcome in their log. */
  async beforeApplicationShutdown(): Promise<void> {
    const runs = [...this.runs.values()];
    for (const run of runs) run.call.cancel('shutdown');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>(
      (resolve) => (timer = setTimeout(resolve, SIJAX_DEFAULTS.settleOnShutdownMs)),
    );
    await Promise.race([Promise.all(runs.map((run) => run.settled)), timeout]);
    clearTimeout(timer);
  }

  private localReader(
    run: ResumableRun,
    after: number,
    transport: StreamTransport | undefined,
    req: IncomingMessage,
    res: ServerResponse,
  ): RunReader {
    const encoder = encoderFor(transport, run.callId, true, this.options.heartbeatMs);
    const reader: RunReader = new RunReader(
      new StreamWriter(req, res, encoder, run.call, () => run.remove(reader)),
      after,
    );
    this.streams.track({
      writer: reader.writer,
      callId: run.callId,
      source: run.call,
      settled: reader.writer.finished(),
    });
    return reader;
  }

  /**
   * A call running on another instance (or ended), followed through the store from the start:
   * the store's follower is present to the running instance while it replays too, also when
   * this connection's client is slow to take it.
   */
  private remoteReader(
    callId: string,
    name: string,
    after: number,
    transport: StreamTransport | undefined,
    req: IncomingMessage,
    res: ServerResponse,
  ): void {
    const controller = new AbortController();
    const writer = new StreamWriter(
      req,
      res,
      encoderFor(transport, callId, true, this.options.heartbeatMs),
      FOLLOWED(name),
      () => controller.abort(),
    );
    const reader = new RunReader(writer, after, false);
    writer.open();
    const following = Promise.resolve()
      .then(() =>
        this.store.follow(
          callId,
          after,
          (entry) => {
            reader.push(entry);
            return writer.ready();
          },
          controller.signal,
        ),
      )
      // A follow that returns short of the terminal entry (a client claiming an offset past
      // the end, a custom store) does not leave the stream open.
      .then(() => controller.signal.aborted || reader.fail(new CallGoneError()))
      .catch((error: unknown) => reader.fail(error));
    this.streams.track({
      writer,
      callId,
      source: {
        cancel: () => {
          controller.abort();
          reader.fail(new ServiceUnavailableException(SHUTTING_DOWN), 'shutdown');
        },
      },
      settled: Promise.all([following, writer.finished()]).then(() => undefined),
    });
  }
}
