import { HttpException } from '@nestjs/common';
import * as http from 'http';
import type { AddressInfo } from 'net';

/** A body reader under test, called by the server with the request and its Content-Type. */
export type BodyReader<L> = (
  req: http.IncomingMessage,
  type: string,
  limits: L,
) => Promise<unknown>;

/** How the server side settled. */
export interface Outcome {
  fields?: unknown;
  error?: unknown;
  /** Listener counts on the request before the call and once it settled. */
  listeners: [before: number, after: number];
  req: http.IncomingMessage;
  /** Body bytes the server took off the socket (for an open request, 200 ms after settling). */
  bytesRead: number;
}

export interface Send<L> {
  type?: string;
  limits?: Partial<L>;
  /** false: leave the request open after the body; 'abort': destroy it shortly after. */
  end?: false | 'abort';
}

const EVENTS = ['data', 'end', 'error', 'close', 'aborted', 'readable'];
const count = (req: http.IncomingMessage) =>
  EVENTS.reduce((sum, event) => sum + req.listenerCount(event), 0);

/**
 * Starts a real HTTP server for the suite (port 0) that hands each request to `read`; the
 * returned `post` sends a raw body (latin1, so any byte can be written) and resolves with the
 * server side's outcome.
 */
export function multipartExchange<L>(read: BodyReader<L>, defaults: NoInfer<L>) {
  let server: http.Server;
  let onRequest: (req: http.IncomingMessage, res: http.ServerResponse) => void;
  const clients = new Set<http.ClientRequest>();
  beforeAll((done) => {
    server = http.createServer((req, res) => onRequest(req, res)).listen(0, '127.0.0.1', done);
  });
  afterAll((done) => {
    for (const client of clients) client.destroy();
    server.closeAllConnections();
    server.close(done);
  });

  return function post(body: string | string[], send: Send<L> = {}): Promise<Outcome> {
    return new Promise((resolve) => {
      onRequest = (req, res) => {
        const before = count(req);
        const settle = (outcome: Pick<Outcome, 'fields' | 'error'>) => {
          const listeners: Outcome['listeners'] = [before, count(req)];
          const report = () => {
            resolve({ ...outcome, listeners, req, bytesRead: req.socket.bytesRead });
            res.writeHead(200, { connection: 'close' }).end();
          };
          setTimeout(report, send.end === false ? 200 : 0);
        };
        read(req, req.headers['content-type'] ?? '', { ...defaults, ...send.limits }).then(
          (fields) => settle({ fields }),
          (error: unknown) => settle({ error }),
        );
      };
      const { port } = server.address() as AddressInfo;
      const headers = { 'content-type': send.type ?? 'multipart/form-data; boundary=b' };
      const client = http.request({
        port,
        host: '127.0.0.1',
        method: 'POST',
        headers,
        agent: false,
      });
      clients.add(client.on('close', () => clients.delete(client)));
      client.on('error', () => {}).on('response', (res) => res.resume());
      for (const chunk of [body].flat()) client.write(Buffer.from(chunk, 'latin1'));
      if (send.end === 'abort') setTimeout(() => client.destroy(), 50);
      else if (send.end !== false) client.end();
      else setTimeout(() => client.destroy(), 3000).unref(); // the test has its answer by then
    });
  };
}

/** One part with boundary `b`. */
export const part = (headers: string, value: string) => `--b\r\n${headers}\r\n\r\n${value}\r\n`;
/** One form-data field with boundary `b`. */
export const field = (name: string, value: string) =>
  part(`Content-Disposition: form-data; name="${name}"`, value);
/** The closing delimiter for boundary `b`, as browsers send it. */
export const END = '--b--\r\n';

/** The status and message of an outcome that must be an HttpException. */
export function refusal(outcome: Outcome): { status: number; message: string } {
  expect(outcome.error).toBeInstanceOf(HttpException);
  const error = outcome.error as HttpException;
  return { status: error.getStatus(), message: error.message };
}
