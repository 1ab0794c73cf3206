import { createServer, request, type IncomingMessage, type ServerResponse } from 'http';
import type { AddressInfo } from 'net';
import { takeOverSocket, type TakenSocket } from './socket-takeover';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Posts `body` to a server whose handler is `handle`; resolves with what the client received,
 * once the server side has had its say.
 */
async function exchange(handle: Handler, body = 'x=1'): Promise<{ head: string; text: string }> {
  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise((resolve, reject) => {
      const req = request({ port, host: '127.0.0.1', method: 'POST' }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ head: JSON.stringify(res.headers), text }));
      });
      req.on('error', reject);
      req.end(body);
    });
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

/** Reads the body, then tries to take the connection over and reports what happened. */
function tryTakeOver(prepare: (req: IncomingMessage, res: ServerResponse) => void) {
  const outcome: { taken?: TakenSocket; headersSentAfter?: boolean } = {};
  const handle: Handler = (req, res) => {
    req.resume();
    req.on('end', () => {
      prepare(req, res);
      outcome.taken = takeOverSocket(req, res, 200, { 'X-Test': '1' });
      outcome.headersSentAfter = res.headersSent;
      if (outcome.taken) outcome.taken.socket.end('3\r\nabc\r\n0\r\n\r\n');
      else res.end('fallback');
    });
  };
  return { handle, outcome };
}

describe('takeOverSocket', () => {
  it('takes a plain HTTP/1.1 response: the client reads the chunked body written to the socket', async () => {
    const { handle, outcome } = tryTakeOver(() => undefined);
    const { head, text } = await exchange(handle);
    expect(outcome.taken?.chunked).toBe(true);
    expect(text).toBe('abc');
    expect(JSON.parse(head)).toMatchObject({ connection: 'close', 'x-test': '1' });
  });

  it('leaves a response whose write() a middleware wrapped, untouched', async () => {
    const { handle, outcome } = tryTakeOver((_req, res) => {
      const write = res.write.bind(res);
      res.write = ((...args: Parameters<typeof write>) => write(...args)) as typeof res.write;
    });
    const { text } = await exchange(handle);
    expect(outcome.taken).toBeUndefined();
    expect(outcome.headersSentAfter).toBe(false);
    expect(text).toBe('fallback');
  });

  it("leaves it when Node's server listeners are not the ones it knows", async () => {
    const { handle, outcome } = tryTakeOver((req) => {
      // As if a Node version had renamed its 'data' listener.
      const [onData] = req.socket.listeners('data') as ((...args: unknown[]) => void)[];
      req.socket.removeListener('data', onData);
      req.socket.on('data', (...args: unknown[]) => onData(...args));
    });
    const { text } = await exchange(handle);
    expect(outcome.taken).toBeUndefined();
    expect(outcome.headersSentAfter).toBe(false);
    expect(text).toBe('fallback');
  });

  it('leaves a response whose request body is still being read', async () => {
    const outcome: { taken?: TakenSocket } = {};
    const { text } = await exchange((req, res) => {
      outcome.taken = takeOverSocket(req, res, 200, {});
      req.resume();
      req.on('end', () => res.end('fallback'));
    });
    expect(outcome.taken).toBeUndefined();
    expect(text).toBe('fallback');
  });
});
