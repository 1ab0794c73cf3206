import type { ServerResponse } from 'http';
import type { Subscription } from 'rxjs';
import { errorCommand } from '../errors/describe-failure';
import type { SijaxCallContext, SijaxDispatcher } from '../sijax.dispatcher';
import { SHUTTING_DOWN } from '../sijax.messages';
import { IframeStreamWriter } from './iframe-stream.writer';

/** How long shutdown waits for cancelled handlers to run their `finally` blocks. */
const SETTLE_ON_SHUTDOWN_MS = 3000;
const SHUTDOWN = { status: 503, message: SHUTTING_DOWN, name: 'ServiceUnavailableException' };

/** One open Comet response: the running call, its writer, and how it ends. */
export class CometStream {
  private readonly writer: IframeStreamWriter;
  private readonly subscription: Subscription;

  constructor(
    dispatcher: SijaxDispatcher,
    private readonly context: SijaxCallContext,
    res: ServerResponse,
    onEnd: (stream: CometStream) => void,
  ) {
    // 'close' also follows a normal end; unsubscribing then is a no-op.
    const onClose = () => {
      this.subscription.unsubscribe();
      onEnd(this);
    };
    const writer = (this.writer = new IframeStreamWriter(res, context, onClose));
    this.subscription = dispatcher.stream(context, writer).subscribe({
      next: (batch) => writer.write(batch),
      error: () => writer.end(),
      complete: () => writer.end(),
    });
  }

  heartbeat(): void {
    this.writer.heartbeat();
  }

  /** Tells the client the server is going away, cancels the handler and waits for it to settle. */
  async shutdown(): Promise<void> {
    this.writer.write([errorCommand(SHUTDOWN)]);
    this.subscription.unsubscribe();
    this.writer.end();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>(
      (resolve) => (timer = setTimeout(resolve, SETTLE_ON_SHUTDOWN_MS)),
    );
    await Promise.race([this.context.settled, timeout]);
    clearTimeout(timer);
    this.writer.abandon();
  }
}
