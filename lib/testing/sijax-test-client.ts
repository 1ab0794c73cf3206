import type { INestApplication } from '@nestjs/common';
import { randomBytes } from 'crypto';
import { Agent, request, type ClientRequest, type IncomingHttpHeaders, type Server } from 'http';
import type { AddressInfo } from 'net';
import type { SijaxCommand } from '../protocol/commands';
import {
  CLIENT_FILE_NAME,
  CSRF_COOKIE,
  CSRF_COOKIE_SECURE,
  CSRF_HEADER,
  DEFAULT_SIJAX_PATH,
  EVENT_STREAM,
  FIELD_AFTER,
  FIELD_ARGS,
  FIELD_ATTACH,
  FIELD_CALL_ID,
  FIELD_CANCEL,
  FIELD_REQUEST,
  LAST_EVENT_ID_HEADER,
} from '../protocol/wire-names';
import { ResumableCalls } from '../resume/resumable-calls';
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

/** A call id as the bundled client makes them: 128 random bits, URL-safe. */
const newCallId = (): string => randomBytes(16).toString('base64url');

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
    const fields = this.callFields(name, args, newCallId(), options);
    return new Promise((resolve, reject) => {
      const req = this.postFields(fields, 'application/json', options.headers);
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
   * A Comet call: its batches as they arrive (an async iterator with `cancel()`, and `cut()` and
   * `reconnect()` for resumable calls). A return value is the `return` command of the last batch.
   */
  comet(name: string, args: unknown[] = [], options: SijaxTestCallOptions = {}): SijaxTestStream {
    const callId = newCallId();
    return this.stream(callId, options, this.callFields(name, args, callId, options));
  }

  /** Follows a resumable call by its id (as a second tab would), after `after` (default 0). */
  attach(callId: string, options: SijaxTestCallOptions & { after?: number } = {}): SijaxTestStream {
    const fields = { ...options.data, [FIELD_ATTACH]: callId };
    return this.stream(callId, options, fields, options.after ?? 0);
  }

  /** Stops a resumable call by its id, wherever it runs; resolves with the HTTP status. */
  cancel(callId: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = this.postFields({ [FIELD_CANCEL]: callId }, 'application/json');
      req.on('error', reject);
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
    });
  }

  /** Lets the connections go, and the port if the client opened it. */
  async close(): Promise<void> {
    this.agent.destroy();
    const server = this.ownServer;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private callFields(
    name: string,
    args: unknown[],
    callId: string,
    options: SijaxTestCallOptions,
  ): Record<string, string> {
    return {
      ...options.data,
      [FIELD_REQUEST]: name,
      [FIELD_ARGS]: JSON.stringify(args),
      [FIELD_CALL_ID]: callId,
    };
  }

  /** A stream of the call `callId`, which reconnects with `after` as the transport says it. */
  private stream(
    callId: string,
    options: SijaxTestCallOptions,
    fields: Record<string, string>,
    firstAfter?: number,
  ): SijaxTestStream {
    const iframe = options.transport === 'iframe';
    const accept = iframe ? 'text/html' : EVENT_STREAM;
    const streams = this.app.get(CometStreams, { strict: false });
    const runs = this.app.get(ResumableCalls, { strict: false });
    const connect = (after = firstAfter): ClientRequest => {
      const headers: Record<string, string> = { ...options.headers };
      const posted = { ...fields };
      if (iframe) headers['Sec-Fetch-Dest'] = 'iframe';
      if (after !== undefined && iframe) posted[FIELD_AFTER] = String(after);
      else if (after !== undefined) headers[LAST_EVENT_ID_HEADER] = String(after);
      return this.postFields(posted, accept, headers);
    };
    return new SijaxTestStream(
      {
        connect,
        settled: () =>
          Promise.all([streams.settled(callId), runs.settled(callId)]).then(() => undefined),
        cancel: () => this.cancel(callId).then(() => undefined),
      },
      callId,
    );
  }

  private postFields(
    fields: Record<string, string>,
    accept: string,
    headers: Record<string, string> = {},
  ): ClientRequest {
    const body = new URLSearchParams(fields).toString();
    const req = request(this.url(), {
      method: 'POST',
      agent: this.agent,
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        'Content-Length': String(Buffer.byteLength(body)),
        Accept: accept,
        ...this.csrfHeaders(),
        ...this.options.headers,
        ...headers,
      },
    });
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
