import { Injectable } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** The browser a request came from: its CSRF cookie (the sample runs in token mode). */
function browserOf(request: IncomingMessage): string | undefined {
  return /(?:^|;\s*)sijax_csrf=([^;]+)/.exec(request.headers.cookie ?? '')?.[1];
}

/**
 * A demo aid, not something an app needs: cuts the open fetch-transport streams of one browser,
 * as a network drop would, so that the page can show a resumable call reconnecting by itself.
 * `track` is Express middleware (see sample-app.ts); `drop` is called by the page's "Drop
 * connection" button.
 */
@Injectable()
export class ConnectionDrops {
  /** The sockets of the event streams being answered now, with the browser of each. */
  private readonly streams = new Map<Socket, string | undefined>();

  readonly track = (request: IncomingMessage, response: ServerResponse, next: () => void) => {
    // A Comet call over fetch asks for an event stream; uploads (multipart) are left alone.
    const stream =
      request.method === 'POST' &&
      (request.headers.accept ?? '').includes('text/event-stream') &&
      (request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
    if (stream) {
      const { socket } = request;
      this.streams.set(socket, browserOf(request));
      // The socket may serve other requests once this answer has ended: forget it then.
      response.once('close', () => this.streams.delete(socket));
    }
    next();
  };

  /** Destroys the streams of the browser that sent `request`; returns how many there were. */
  drop(request: IncomingMessage): number {
    const browser = browserOf(request);
    let dropped = 0;
    for (const [socket, owner] of this.streams) {
      if (browser === undefined || owner !== browser) continue;
      socket.destroy();
      this.streams.delete(socket);
      dropped++;
    }
    return dropped;
  }
}
