import type { INestApplication } from '@nestjs/common';
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { testAppModule } from '../fixtures/test-app.module';
import { Probe } from '../fixtures/test-handlers';
import { collectGarbage } from '../utils/gc';
import { sijaxBody } from '../utils/http-client';
import { steady } from '../utils/latch';
import { startApp } from '../utils/test-app';

const YIELDS = 1_000_000;
/**
 * What the server may hold for a reader that stopped: socket buffers, not the handler's output.
 * Measured after full collections: the flood's garbage alone fills the young generation by more
 * than this before a scavenge on newer V8 (about 18 MB on Node 26, 7 MB on Node 20).
 */
const HEAP_BOUND = 16 * 1024 * 1024;

describe('Backpressure', () => {
  let app: INestApplication;
  let probe: Probe;

  beforeAll(async () => {
    app = await startApp([testAppModule({ heartbeatMs: false })]);
    probe = app.get(Probe);
  });

  afterAll(() => app.close());

  beforeEach(() => {
    probe.floodSteps = 0;
    probe.finished = probe.finallyRan = false;
  });

  it.each([
    ['iframe', ''],
    ['fetch', 'Accept: text/event-stream\r\n'],
  ])(
    `pauses a handler yielding ${YIELDS} times while the client does not read, within ${HEAP_BOUND / 2 ** 20} MB (%s transport)`,
    async (_, accept) => {
      const { port } = app.getHttpServer().address() as AddressInfo;
      const body = sijaxBody('flood', [YIELDS]);
      const socket: Socket = connect(port, '127.0.0.1');
      let received = 0;
      let ended = false;
      socket.on('data', (chunk: Buffer) => (received += chunk.length));
      socket.on('end', () => (ended = true));
      await new Promise((resolve) => socket.once('connect', resolve));
      await collectGarbage();
      const heapBefore = process.memoryUsage().heapUsed;
      socket.write(
        `POST /sijax HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${accept}` +
          `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      );
      // Read a little, then stop reading: the kernel buffers fill and the server must stop too.
      await new Promise<void>((resolve) => socket.once('data', () => resolve()));
      socket.pause();
      const pausedAt = await steady(() => probe.floodSteps);
      expect(pausedAt).toBeGreaterThan(0);
      expect(pausedAt).toBeLessThan(YIELDS);
      expect(probe.finished).toBe(false);
      await collectGarbage();
      expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(HEAP_BOUND);

      socket.resume();
      await new Promise<void>((resolve) => socket.once('close', () => resolve()));
      expect(ended).toBe(true);
      expect(probe.finished).toBe(true);
      expect(probe.floodSteps).toBe(YIELDS);
      expect(received).toBeGreaterThan(YIELDS * 50);
    },
    120_000,
  );
});
