import {
  Injectable,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
  type NestApplicationOptions,
} from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { readFileSync } from 'fs';
import type { IncomingHttpHeaders, ServerResponse } from 'http';
import { request as httpsRequest } from 'https';
import { join } from 'path';
import { connect } from 'net';
import type { SijaxModuleOptions } from '../../lib';
import { testAppModule } from '../fixtures/test-app.module';
import { Probe } from '../fixtures/test-handlers';
import { baseUrl, ChunkReader, parseChunks, sijaxBody } from '../utils/http-client';
import { steady, until } from '../utils/latch';
import { collectGarbage } from '../utils/gc';
import { createTestApp, PLATFORM } from '../utils/test-app';

/** Node's response under Express's (which is one) or Fastify's reply. */
const rawResponse = (context: ExecutionContext) => {
  const response = context.switchToHttp().getResponse<ServerResponse | { raw: ServerResponse }>();
  return 'raw' in response ? response.raw : response;
};

/** Sees every Sijax call's response as the app's guards do: weakly, and with listeners on it. */
@Injectable()
class ResponseWatch implements CanActivate {
  responses: WeakRef<ServerResponse>[] = [];
  /** Listen to the responses' 'finish' and 'close' (as a logging middleware would). */
  listen = false;
  events: string[] = [];

  canActivate(context: ExecutionContext): boolean {
    const res = rawResponse(context);
    this.responses.push(new WeakRef(res));
    if (this.listen) {
      res.on('finish', () => this.events.push('finish'));
      res.on('close', () => this.events.push('close'));
    }
    return true;
  }
}

type Reply = { statusCode: number };

/** A raw HTTP exchange, to see the framing itself (Node's client would hide it). */
function rawExchange(port: number, head: string, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (data: string) => (text += data));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
    socket.end(`${head}\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  });
}

describe('Comet streams that own their connection', () => {
  let app: INestApplication;
  let probe: Probe;
  let watch: ResponseWatch;
  let url: string;

  async function start(
    options: SijaxModuleOptions = {},
    beforeListen?: (app: INestApplication) => void,
    appOptions: NestApplicationOptions = {},
  ): Promise<void> {
    const providers = [ResponseWatch, { provide: APP_GUARD, useExisting: ResponseWatch }];
    const imports = [testAppModule(options, { providers })];
    app = createTestApp(await Test.createTestingModule({ imports }).compile(), appOptions);
    beforeListen?.(app);
    await app.listen(0, '127.0.0.1');
    probe = app.get(Probe);
    watch = app.get(ResponseWatch);
    url = `${baseUrl(app)}/sijax`;
  }

  afterEach(() => app.close());

  if (PLATFORM === 'express') {
    it('takes over a TLS connection the same way (HTTPS)', async () => {
      const tls = join(__dirname, '../fixtures/tls');
      const cert = readFileSync(join(tls, 'cert.pem'));
      const httpsOptions = { key: readFileSync(join(tls, 'key.pem')), cert };
      await start({}, undefined, { httpsOptions });
      const secureUrl = url.replace('http:', 'https:');
      const { headers, text } = await new Promise<{ headers: IncomingHttpHeaders; text: string }>(
        (resolve, reject) => {
          const req = httpsRequest(secureUrl, {
            method: 'POST',
            ca: cert,
            headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          });
          req.on('response', (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => (body += chunk));
            res.on('end', () => resolve({ headers: res.headers, text: body }));
          });
          req.on('error', reject);
          req.end(sijaxBody('tail'));
        },
      );
      expect(headers.connection).toBe('close');
      expect(headers['transfer-encoding']).toBe('chunked');
      expect(parseChunks(text)).toHaveLength(2);
    });

    it('answers with Connection: close and a chunked body, and lets the response go while open (Express)', async () => {
      await start();
      const reader = new ChunkReader(url, sijaxBody('run', [2]));
      await reader.waitFor((body) => parseChunks(body).length === 1);
      expect(reader.headers.connection).toBe('close');
      expect(reader.headers['transfer-encoding']).toBe('chunked');
      await collectGarbage();
      // The stream is open, its handler parked: yet nothing holds the framework's response.
      expect(reader.ended).toBe(false);
      expect(watch.responses[0].deref()).toBeUndefined();
      probe.latch(1).open();
      probe.latch(2).open();
      await reader.done;
      expect(parseChunks(reader.text)).toHaveLength(3);
    });
  } else {
    it("runs Fastify's onResponse hooks when the stream ends", async () => {
      const completed: number[] = [];
      await start({}, (created) => {
        const fastify = created.getHttpAdapter().getInstance() as {
          addHook(name: 'onResponse', hook: (req: unknown, reply: Reply) => Promise<void>): void;
        };
        fastify.addHook('onResponse', async (_req, reply) => void completed.push(reply.statusCode));
      });
      const reader = new ChunkReader(url, sijaxBody('run', [1]));
      await reader.waitFor((body) => parseChunks(body).length === 1);
      expect(reader.headers.connection).toBe('close');
      expect(completed).toEqual([]);
      probe.latch(1).open();
      await reader.done;
      await until(() => completed.length === 1);
      expect(completed).toEqual([200]);
    });
  }

  it("keeps the response with streamTransport: 'response'", async () => {
    await start({ streamTransport: 'response' });
    const reader = new ChunkReader(url, sijaxBody('run', [1]));
    await reader.waitFor((body) => parseChunks(body).length === 1);
    expect(reader.headers.connection).toBe('keep-alive');
    await collectGarbage();
    expect(watch.responses[0].deref()).toBeDefined();
    probe.latch(1).open();
    await reader.done;
    expect(parseChunks(reader.text)).toHaveLength(2);
  });

  it('frames each write as an HTTP/1.1 chunk and ends with the last chunk', async () => {
    await start();
    const port = Number(new URL(url).port);
    const head =
      'POST /sijax HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded';
    const text = await rawExchange(port, head, sijaxBody('tail'));
    const [headers, body] = [
      text.slice(0, text.indexOf('\r\n\r\n')),
      text.slice(text.indexOf('\r\n\r\n') + 4),
    ];
    expect(headers).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(headers).toMatch(/\r\nTransfer-Encoding: chunked/i);
    // Decode by hand: every chunk's size line must match its bytes exactly.
    let rest = body;
    let decoded = '';
    for (;;) {
      const eol = rest.indexOf('\r\n');
      const size = parseInt(rest.slice(0, eol), 16);
      expect(Number.isNaN(size)).toBe(false);
      if (size === 0) {
        expect(rest.slice(eol)).toBe('\r\n\r\n');
        break;
      }
      decoded += rest.slice(eol + 2, eol + 2 + size);
      expect(rest.slice(eol + 2 + size, eol + 4 + size)).toBe('\r\n');
      rest = rest.slice(eol + 4 + size);
    }
    expect(parseChunks(decoded)).toEqual([
      [{ type: 'html', selector: '#a', html: '1', setType: 'replace' }],
      [{ type: 'html', selector: '#b', html: '2', setType: 'replace' }],
    ]);
  });

  it('sends a plain body that ends with the connection to an HTTP/1.0 client', async () => {
    await start();
    const port = Number(new URL(url).port);
    const head =
      'POST /sijax HTTP/1.0\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded';
    const text = await rawExchange(port, head, sijaxBody('tail'));
    const headers = text.slice(0, text.indexOf('\r\n\r\n'));
    expect(headers).not.toMatch(/Transfer-Encoding/i);
    expect(parseChunks(text.slice(headers.length + 4))).toHaveLength(2);
  });

  it("tells the response's own listeners when the stream finished", async () => {
    await start();
    watch.listen = true;
    const reader = new ChunkReader(url, sijaxBody('tail'));
    await reader.done;
    await until(() => watch.events.length === 2);
    expect(watch.events).toEqual(['finish', 'close']);
  });

  it("tells the response's own listeners when the browser left, and cancels the handler", async () => {
    await start();
    watch.listen = true;
    const reader = new ChunkReader(url, sijaxBody('run', [2]));
    await reader.waitFor((body) => parseChunks(body).length === 1);
    reader.abort();
    await reader.done.catch(() => undefined);
    await until(() => watch.events.length === 1);
    expect(watch.events).toEqual(['close']);
    // Cancelled: once resumed, the handler is returned instead of going on.
    probe.latch(1).open();
    await until(() => probe.finallyRan);
    expect(probe.finished).toBe(false);
  });

  it('app.close() does not wait for a client that stopped reading', async () => {
    // Nest's forceCloseConnections would close it; without it, the stream itself must.
    await start({ heartbeatMs: false }, undefined, { forceCloseConnections: false });
    const socket = connect(Number(new URL(url).port), '127.0.0.1');
    const closed = new Promise((resolve) => socket.on('close', resolve));
    socket.on('error', () => undefined);
    const body = sijaxBody('flood', [1_000_000]);
    socket.write(
      'POST /sijax HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n' +
        `Content-Length: ${body.length}\r\n\r\n${body}`,
    );
    await new Promise((resolve) => socket.once('data', resolve));
    socket.pause();
    await steady(() => probe.floodSteps);
    const started = Date.now();
    await app.close();
    expect(Date.now() - started).toBeLessThan(5000);
    socket.resume(); // to read the server's close
    await closed;
  });
});
