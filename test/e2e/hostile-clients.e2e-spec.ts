import {
  ForbiddenException,
  Injectable,
  UseGuards,
  type CanActivate,
  type INestApplication,
} from '@nestjs/common';
import { request } from 'http';
import { connect, type Socket } from 'net';
import { SijaxCallback, SijaxCancelledError, type SijaxResponse } from '../../lib';
import { CLIENT_LEFT } from '../../lib/sijax.messages';
import { CometStreams } from '../../lib/transports/comet-streams';
import { startRawApp } from '../fixtures/echo-handlers';
import {
  CancellableHandlers,
  CancellableRegularHandlers,
  LifecycleProbe,
  lifecycleModule,
} from '../fixtures/lifecycle-handlers';
import { baseUrl, sijaxBody } from '../utils/http-client';
import { until } from '../utils/latch';
import { captureLogs, startApp } from '../utils/test-app';

@Injectable()
class RefuseAll implements CanActivate {
  canActivate(): boolean {
    throw new ForbiddenException('Members only');
  }
}

@Injectable()
class GuardedHandlers {
  @UseGuards(RefuseAll)
  @SijaxCallback('members_only')
  membersOnly(response: SijaxResponse, a: number, b: number) {
    response.alert(String(a + b));
  }
}

/** A raw HTTP/1.1 request's text, for sockets written by hand (pipelining). */
function rawPost(port: number, body: string, headers: Record<string, string> = {}): string {
  const lines = Object.entries({
    Host: `127.0.0.1:${port}`,
    'Content-Type': 'application/x-www-form-urlencoded',
    'Content-Length': String(Buffer.byteLength(body)),
    ...headers,
  }).map(([name, value]) => `${name}: ${value}`);
  return `POST /sijax HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n${body}`;
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.on('error', reject);
  });
}

describe('What a hostile client sends', () => {
  let app: INestApplication;
  let probe: LifecycleProbe;
  let port: number;
  let sequence = 0;
  const tag = () => `hostile-${++sequence}`;

  beforeAll(async () => {
    app = await startApp([
      lifecycleModule({}, [
        CancellableHandlers,
        CancellableRegularHandlers,
        GuardedHandlers,
        RefuseAll,
      ]),
    ]);
    probe = app.get(LifecycleProbe);
    port = Number(new URL(baseUrl(app)).port);
  });

  afterAll(async () => {
    for (const call of probe.calls.values()) [1, 2, 3].forEach((i) => call.latch(i).open());
    await app.close();
  });

  describe('calls pipelined behind another response on one keep-alive connection', () => {
    it('are cancelled when the client leaves before their turn, Comet and regular alike', async () => {
      const streams = app.get(CometStreams);
      const sockets: Socket[] = [];
      const tags: string[] = [];
      // 5 connections, each: a Comet call that holds the connection, then 4 pipelined behind it.
      for (let c = 0; c < 5; c++) {
        const socket = await open(port);
        sockets.push(socket);
        socket.on('error', () => undefined);
        let text = '';
        for (let i = 0; i < 5; i++) {
          const t = tag();
          tags.push(t);
          const name = i % 2 === 0 ? 'signal_wait' : 'plain_wait';
          text += rawPost(port, sijaxBody(name, [t]));
        }
        socket.write(text);
      }
      // Node runs every pipelined call as soon as it is read, while its answer waits its turn.
      await until(
        () => tags.every((t) => probe.call(t).started.opened),
        5000,
        'all handlers start',
      );
      for (const socket of sockets) socket.destroy();
      await until(
        () => tags.every((t) => probe.call(t).finallyAt !== undefined),
        5000,
        'every handler to be cancelled',
      );
      for (const t of tags) expect(probe.call(t).response!.signal.aborted).toBe(true);
      await until(() => streams.size === 0, 5000, 'no open stream left');
    });
  });

  describe('regular calls', () => {
    it('are cancelled when the browser goes away: the signal fires every time', async () => {
      const tags = Array.from({ length: 20 }, tag);
      const requests = tags.map((t) => {
        const req = request(`${baseUrl(app)}/sijax`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        });
        req.on('error', () => undefined);
        req.end(sijaxBody('plain_wait', [t]));
        return req;
      });
      await until(() => tags.every((t) => probe.call(t).started.opened), 5000, 'handlers start');
      requests.forEach((req) => req.destroy());
      await until(() => tags.every((t) => probe.call(t).finallyAt !== undefined), 5000, 'cancel');
      for (const t of tags) expect(probe.call(t).error).toBeInstanceOf(SijaxCancelledError);
    });

    it('unsubscribe from an Observable a regular handler returned', async () => {
      const t = tag();
      const req = request(`${baseUrl(app)}/sijax`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      });
      req.on('error', () => undefined);
      req.end(sijaxBody('plain_observe', [t]));
      await probe.call(t).started.promise;
      req.destroy();
      await until(() => probe.call(t).finallyAt !== undefined, 5000, 'the teardown');
      expect(probe.call(t).subject.observed).toBe(false);
    });
  });

  describe('a multipart body built to make a naive reader backtrack', () => {
    it('is answered at once, and the server stays responsive meanwhile', async () => {
      // 1 MiB of one header line repeating `Content-Disposition:`: 20 s of blocked event loop
      // for the hand-written reader this replaced.
      const hostile =
        '--b\r\n' +
        'Content-Disposition: '.repeat(48_000) +
        'form-data; name="x"\r\n\r\nv\r\n--b--\r\n';
      const send = (body: string, type: string) =>
        fetch(`${baseUrl(app)}/sijax`, { method: 'POST', headers: { 'Content-Type': type }, body });
      const [refused, other] = await Promise.all([
        send(hostile, 'multipart/form-data; boundary=b'),
        send(sijaxBody('no_such_function'), 'application/x-www-form-urlencoded'),
      ]);
      expect([400, 413]).toContain(refused.status);
      expect(other.status).toBe(200);
    }, 5000);
  });

  describe('guards run before the argument check', () => {
    it("so a refused caller learns nothing of a function's arguments", async () => {
      for (const args of [[1, 2], [1], []]) {
        const res = await fetch(`${baseUrl(app)}/sijax`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: sijaxBody('members_only', args),
        });
        expect(res.status).toBe(403);
        expect(await res.json()).toEqual([
          { type: 'error', error: 'Members only', status: 403, name: 'ForbiddenException' },
        ]);
      }
    });
  });

  describe('names that would forge log lines', () => {
    it('are logged quoted, control characters escaped, cut to a sane length', async () => {
      const logs = captureLogs();
      try {
        const forged = 'x\n[Nest] 1 - LOG [Sijax] forged line\u001b[31m' + 'y'.repeat(90_000);
        const res = await fetch(`${baseUrl(app)}/sijax`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ sijax_rq: forged, sijax_args: '[]', sijax_call: 'c1' }),
        });
        expect(res.status).toBe(200);
        const warnings = logs.logs.filter((log) => log.level === 'warn');
        expect(warnings).toHaveLength(1);
        const { message } = warnings[0];
        for (const control of ['\n', '\r', '\u001b']) expect(message).not.toContain(control);
        expect(message).toContain('"x\\n[Nest] 1 - LOG [Sijax] forged line\\u001b[31m');
        expect(message).toContain(`(${forged.length} characters)`);
        expect(message.length).toBeLessThan(250);
      } finally {
        logs.restore();
      }
    });
  });
});

describe('Bodies the module reads itself', () => {
  let app: INestApplication;
  let port: number;

  beforeAll(async () => {
    app = await startRawApp([lifecycleModule({ bodyLimit: 4096 }, [CancellableHandlers])]);
    port = Number(new URL(baseUrl(app)).port);
  });

  afterAll(() => app.close());

  it('over the limit: 413 with Connection: close, and not another byte read', async () => {
    const socket = await open(port);
    const head =
      `POST /sijax HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
      'Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n';
    let answer = '';
    let closed = false;
    socket.setEncoding('latin1');
    socket.on('data', (data: string) => (answer += data));
    socket.on('error', () => undefined);
    socket.on('close', () => (closed = true));
    socket.write(head);
    // Keep sending, as an attacker would, until the server drops the connection (or 64 MiB).
    const piece = Buffer.alloc(64 * 1024, 'a');
    const frame = Buffer.concat([
      Buffer.from(`${piece.length.toString(16)}\r\n`),
      piece,
      Buffer.from('\r\n'),
    ]);
    let sent = 0;
    while (!closed && sent < 64 * 1024 * 1024) {
      if (!socket.write(frame)) {
        await new Promise<void>((resolve) => {
          const done = () => (socket.off('drain', done), socket.off('close', done), resolve());
          socket.once('drain', done).once('close', done);
        });
      }
      sent += frame.length;
    }
    await until(() => closed, 5000, 'the server to close the connection');
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer.toLowerCase()).toContain('connection: close');
    // What the socket buffers on both sides can hold, far from the 64 MiB offered.
    expect(sent).toBeLessThan(32 * 1024 * 1024);
  });

  it('reads a body as JSON only when its type is exactly application/json', async () => {
    const body = JSON.stringify({ sijax_rq: 'signal_wait', sijax_args: '[]', sijax_call: 'c1' });
    for (const type of ['application/jsonx', 'application/json-patch', 'text/json']) {
      const res = await fetch(`${baseUrl(app)}/sijax`, {
        method: 'POST',
        headers: { 'Content-Type': type },
        body,
      });
      expect(res.status).toBe(415);
    }
  });

  it('a client that leaves mid-body is no error with a stack', async () => {
    const logs = captureLogs();
    try {
      const arrived = new Promise((resolve) => app.getHttpServer().once('request', resolve));
      const socket = await open(port);
      socket.write(
        `POST /sijax HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
          'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 3000\r\n\r\n' +
          'sijax_rq=signal_wait&sijax_args=',
      );
      await arrived;
      socket.destroy();
      await until(
        () => logs.logs.some((log) => log.message === CLIENT_LEFT('POST', '/sijax')),
        5000,
        'the departure to be noted',
      );
      expect(logs.logs.filter((log) => log.level === 'error')).toEqual([]);
    } finally {
      logs.restore();
    }
  });
});
