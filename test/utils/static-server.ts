import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => unknown;

/** A tiny HTTP server on 127.0.0.1 for browser tests: pages, scripts and fake endpoints. */
export interface StaticServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly url: string;
  /** Sets (or replaces) the handler of a path; the query string is ignored. */
  route(path: string, handler: RouteHandler): void;
  /** Serves a static body at `path`. */
  serve(path: string, body: string | Buffer, headers?: Record<string, string>): void;
  /** Closes the server and every open connection (streams a test left open). */
  close(): Promise<void>;
}

export async function startStaticServer(): Promise<StaticServer> {
  const routes = new Map<string, RouteHandler>();
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const handler = routes.get(new URL(req.url ?? '/', 'http://x').pathname);
    if (!handler) return void res.writeHead(404).end('not found');
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((error: unknown) => {
        console.error(error);
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    route: (path, handler) => void routes.set(path, handler),
    serve(path, body, headers = {}) {
      routes.set(path, (_req, res) => res.writeHead(200, headers).end(body));
    },
    close() {
      sockets.forEach((socket) => socket.destroy());
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Reads an `application/x-www-form-urlencoded` request body. */
export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

export function sendJson(res: ServerResponse, body: unknown, status = 200): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}

/** A promise that the test resolves by hand, to hold a response between two chunks. */
export function latch(): { promise: Promise<void>; release(): void } {
  let release!: () => void;
  const promise = new Promise<void>((resolve) => (release = resolve));
  return { promise, release };
}
