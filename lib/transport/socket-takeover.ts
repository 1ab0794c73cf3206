import { ServerResponse, type IncomingMessage } from 'http';
import type { Socket } from 'net';

type Listener = (...args: unknown[]) => void;
type FreeParser = (parser: unknown, req: IncomingMessage | null, socket: Socket) => void;

/** What a Comet stream writes to once it owns the connection. */
export interface TakenSocket {
  readonly socket: Socket;
  /** The head announced `Transfer-Encoding: chunked` (HTTP/1.1): each write is framed. */
  readonly chunked: boolean;
}

/**
 * The listeners Node's HTTP server puts on every connection, by the names Node has given them
 * since v12 (`_http_server.js`). Node's own upgrade path removes exactly these.
 */
const SERVER_LISTENERS: ReadonlyArray<readonly [event: string, name: string, required: boolean]> = [
  ['data', 'bound socketOnData', true],
  ['end', 'bound socketOnEnd', true],
  ['close', 'bound socketOnClose', true],
  ['drain', 'bound socketOnDrain', true],
  ['error', 'socketOnError', true],
  ['timeout', 'socketOnTimeout', false],
  ['pause', 'onSocketPause', false],
  ['resume', 'onSocketResume', false],
];

/** Node's own 'finish' listener on every server response. */
const RES_ON_FINISH = 'bound resOnFinish';

/** Node's release of a connection's HTTP parser, as its upgrade path calls it. */
const freeParser = ((): FreeParser | undefined => {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const common = require('_http_common') as { freeParser?: unknown };
    return typeof common.freeParser === 'function' ? (common.freeParser as FreeParser) : undefined;
  } catch {
    return undefined;
  }
})();

/** Node's own methods: a response whose `write`/`end` differ is wrapped by a middleware. */
const nodeWrite: unknown = Reflect.get(ServerResponse.prototype, 'write');
const nodeEnd: unknown = Reflect.get(ServerResponse.prototype, 'end');

type HttpSocket = Socket & { parser?: unknown; _httpMessage?: unknown };

/**
 * Sends the response head through Node, then takes the connection from Node's HTTP server the
 * way Node hands over an upgraded one: the parser is released and the server's listeners come
 * off. An idle stream then costs its socket and its writer, not a request/response pair with
 * Express's and Nest's per-request state. The head says `Connection: close`: the connection
 * ends with the stream. Returns undefined, having changed nothing, whenever the response is not
 * a plain HTTP/1 one that is safe to take (a middleware wraps `write`, the body is still being
 * read, another response is queued ahead, or Node's internals differ from what this expects).
 */
export function takeOverSocket(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
): TakenSocket | undefined {
  const socket: HttpSocket | null = res.socket;
  if (
    !freeParser ||
    !socket ||
    socket.destroyed ||
    !socket.parser ||
    socket._httpMessage !== res ||
    !req.complete ||
    res.headersSent ||
    Reflect.get(res, 'write') !== nodeWrite ||
    Reflect.get(res, 'end') !== nodeEnd ||
    typeof res.detachSocket !== 'function'
  ) {
    return undefined;
  }
  const found = serverListeners(socket);
  if (!found) return undefined;

  res.statusCode = status;
  for (const name in headers) res.setHeader(name, headers[name]);
  res.setHeader('Connection', 'close');
  res.flushHeaders();
  const chunked = (res as { chunkedEncoding?: boolean }).chunkedEncoding === true;

  res.detachSocket(socket);
  for (const [event, listener] of found) socket.removeListener(event, listener);
  // Node's bookkeeping for the end of a response it no longer writes.
  const onFinish = res.listeners('finish').find((listener) => listener.name === RES_ON_FINISH);
  if (onFinish) res.removeListener('finish', onFinish as Listener);
  freeParser(socket.parser, req, socket);
  // Express links the request to the response and to its router; both now lead nowhere.
  const links = req as { res?: unknown; next?: unknown };
  if (links.res === res) links.res = undefined;
  if (typeof links.next === 'function') links.next = undefined;
  socket.setNoDelay(true);
  // A client that closes its side has left; the server's own handling did the same.
  socket.on('end', () => socket.destroy());
  socket.on('error', () => socket.destroy());
  // Read, so that the client's close is seen; a well-behaved client sends nothing more.
  socket.resume();
  return { socket, chunked };
}

/** The HTTP server's listeners on `socket`, or undefined if a required one is missing. */
function serverListeners(socket: Socket): Array<[string, Listener]> | undefined {
  const found: Array<[string, Listener]> = [];
  for (const [event, name, required] of SERVER_LISTENERS) {
    const listener = socket.listeners(event).find((candidate) => candidate.name === name);
    if (listener) found.push([event, listener as Listener]);
    else if (required) return undefined;
  }
  return found;
}
