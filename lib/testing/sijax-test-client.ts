import type { INestApplication } from '@nestjs/common';
import { randomUUID } from 'crypto';
import { Agent, request, type IncomingHttpHeaders, type Server } from 'http';
import type { AddressInfo } from 'net';
import type { SijaxCommand } from '../protocol/commands';
import {
  CLIENT_FILE_NAME,
  CSRF_COOKIE,
  CSRF_COOKIE_SECURE,
  CSRF_HEADER,
  DEFAULT_SIJAX_PATH,
  EVENT_STREAM,
  FIELD_ARGS,
  FIELD_CALL_ID,
  FIELD_REQUEST,
} from '../protocol/wire-names';
import { CometStreams } from '../transports/comet-streams';
import { readable } from './readable-commands';
import { SijaxTestStream } from './sijax-test-stream';

/** How `SijaxTestClient.create()` reaches the app. */
export interface SijaxTestClientOptions {
  /** Where the module takes calls, prefix included. @default '/sijax' */
  path?: string;
  /** Sent with every call (a session cookie, an Authorization header...). */
  headers?: Record<string, string>;
}

/** Options of one call. */
export interface SijaxTestCallOptions {
  /** Comet calls: SSE frames, as the fetch transport asks (default), or an iframe's chunks. */
  transport?: 'fetch' | 'iframe';
  /** Sent with this call only. */
  headers?: Record<string, string>;
  /** Extra POST fields. */
  data?: Record<string, string>;
}

/** A regular call's whole answer. */
export interface SijaxTestAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  commands: SijaxCommand[];
}

/**
 * Calls an app's Sijax functions over real HTTP, as the browser client does, so guards, pipes,
 * interceptors, filters and CSRF all run: for a user's own tests (jest, vitest, `node:test`).
 * @publicApi
 */
export class SijaxTestClient {
  private readonly agent = new Agent({ keepAlive: true });

  private constructor(
    private readonly app: INestApplication,
    private readonly base: string,
    private readonly options: SijaxTestClientOptions,
    private readonly cookies: Record<string, string>,
    private readonly ownServer?: Server,
  ) {}

  /**
   * A client for an initialised app (`await app.init()`), listening or not: one that does not
   * listen gets a port on 127.0.0.1 until `close()`. In CSRF token mode it picks up the cookie the
   * module sets with its client, and sends the token back as the bundled client does.
   */
  static async create(
    app: INestApplication,
    options: SijaxTestClientOptions = {},
  ): Promise<SijaxTestClient> {
    const server = app.getHttpServer() as Server;
    let ownServer: Server | undefined;
    if (!server.listening) {
      // Fastify answers only once ready; `listen()` would do it, a bare server does not.
      const instance = app.getHttpAdapter().getInstance() as { ready?: () => Promise<unknown> };
      if (typeof instance.ready === 'function') await instance.ready();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      ownServer = server;
    }
    const { port } = server.address() as AddressInfo;
    const client = new SijaxTestClient(app, `http://127.0.0.1:${port}`, options, {}, ownServer);
    await client.fetchClientCookie();
    return client;
  }

  /** A regular call: the commands it answered with (`setType: 'replace'` left out). */
  async call(
    name: string,
    args: unknown[] = [],
    options: SijaxTestCallOptions = {},
  ): Promise<SijaxCommand[]> {
    return (await this.post(name, args, options)).commands;
  }

  /** A regular call's whole answer: status, headers and commands. */
  post(
    name: string,
    args: unknown[] = [],
    options: SijaxTestCallOptions = {},
  ): Promise<SijaxTestAnswer> {
    return new Promise((resolve, reject) => {
      const req = this.send(name, args, randomUUID(), 'application/json', options);
      req.on('error', reject);
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (data: string) => (text += data));
        res.on('error', reject);
        res.on('end', () => {
          try {
            const commands = readable(JSON.parse(text) as SijaxCommand[]);
            resolve({ status: res.statusCode ?? 0, headers: res.headers, commands });
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        });
      });
    });
  }

  /**
   * A Comet call: its batches as they arrive (an async iterator with `cancel()`). A return value
   * is the `return` command of the last batch, as on the wire.
   */
  comet(name: string, args: unknown[] = [], options: SijaxTestCallOptions = {}): SijaxTestStream {
    const callId = randomUUID();
    const accept = options.transport === 'iframe' ? 'text/html' : EVENT_STREAM;
    const headers: Record<string, string> =
      options.transport === 'iframe' ? { 'Sec-Fetch-Dest': 'iframe' } : {};
    const req = this.send(name, args, callId, accept, {
      ...options,
      headers: { ...headers, ...options.headers },
    });
    const streams = this.app.get(CometStreams, { strict: false });
    return new SijaxTestStream(req, callId, () => streams.settled(callId));
  }

  /** Lets the connections go, and the port if the client opened it. */
  async close(): Promise<void> {
    this.agent.destroy();
    const server = this.ownServer;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private send(
    name: string,
    args: unknown[],
    callId: string,
    accept: string,
    options: SijaxTestCallOptions,
  ) {
    const body = new URLSearchParams({
      ...options.data,
      [FIELD_REQUEST]: name,
      [FIELD_ARGS]: JSON.stringify(args),
      [FIELD_CALL_ID]: callId,
    }).toString();
    const headers: Record<string, string> = {
      'Content-Type': 'application/x-www-form-urlencoded',
      'Content-Length': String(Buffer.byteLength(body)),
      Accept: accept,
      ...this.csrfHeaders(),
      ...this.options.headers,
      ...options.headers,
    };
    const req = request(this.url(), { method: 'POST', headers, agent: this.agent });
    req.end(body);
    return req;
  }

  private url(file?: string): string {
    const path = this.options.path ?? DEFAULT_SIJAX_PATH;
    return this.base + path + (file ? `/${file}` : '');
  }

  /** The cookie and the header of token mode, as the bundled client sends them. */
  private csrfHeaders(): Record<string, string> {
    const names = Object.keys(this.cookies);
    if (names.length === 0) return {};
    const token = this.cookies[CSRF_COOKIE_SECURE] ?? this.cookies[CSRF_COOKIE];
    const cookie = names.map((name) => `${name}=${this.cookies[name]}`).join('; ');
    return token
      ? { Cookie: cookie, [CSRF_HEADER]: decodeURIComponent(token) }
      : { Cookie: cookie };
  }

  /** Loads the client script once, as a page would, for the cookies it sets. */
  private fetchClientCookie(): Promise<void> {
    return new Promise((resolve, reject) => {
      const req = request(this.url(CLIENT_FILE_NAME), {
        headers: this.options.headers,
        agent: this.agent,
      });
      req.on('error', reject);
      req.on('response', (res) => {
        for (const line of res.headers['set-cookie'] ?? []) {
          const pair = line.split(';')[0];
          const index = pair.indexOf('=');
          if (index > 0) this.cookies[pair.slice(0, index).trim()] = pair.slice(index + 1).trim();
        }
        res.resume();
        res.on('end', resolve);
      });
      req.end();
    });
  }
}
