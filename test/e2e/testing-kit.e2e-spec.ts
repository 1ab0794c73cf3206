import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Server } from 'http';
import { SijaxStreamCutError, SijaxTestClient, commandsOfType, errorOf } from '../../lib/testing';
import { CancellableHandlers, LifecycleProbe } from '../fixtures/lifecycle-handlers';
import { ResumableHandlers, ResumeProbe, TagGuard } from '../fixtures/resumable-handlers';
import { testAppModule } from '../fixtures/test-app.module';
import { Probe } from '../fixtures/test-handlers';
import { until } from '../utils/latch';
import { createTestApp } from '../utils/test-app';

/**
 * The testing kit (`nestjs-sijax/testing`) as a user's test would use it: an app that was only
 * initialised (not listening), real HTTP, both transports, CSRF token mode, resumable calls.
 */
describe('SijaxTestClient', () => {
  let app: INestApplication;
  let sijax: SijaxTestClient;
  let probe: Probe;
  let resume: ResumeProbe;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        testAppModule(
          { csrf: { token: true } },
          {
            providers: [
              ResumeProbe,
              ResumableHandlers,
              TagGuard,
              LifecycleProbe,
              CancellableHandlers,
            ],
          },
        ),
      ],
    }).compile();
    app = createTestApp(moduleRef);
    await app.init();
    sijax = await SijaxTestClient.create(app);
    probe = app.get(Probe);
    resume = app.get(ResumeProbe);
  });

  afterAll(async () => {
    resume.openAll();
    await sijax.close();
    await app.close();
  });

  it('makes regular calls (the CSRF token of token mode included) and reads their commands', async () => {
    expect(await sijax.call('say_hello', ['Ann'])).toEqual([{ type: 'alert', alert: 'Hello Ann' }]);
    const answer = await sijax.post('throws');
    expect(answer.status).toBe(500);
    expect(errorOf([answer.commands])).toMatchObject({ status: 500, name: 'InternalServerError' });
  });

  it.each(['fetch', 'iframe'] as const)(
    'reads a Comet call batch by batch over %s, and cancel() resolves once the handler ended',
    async (transport) => {
      const tag = `kit-cancel-${transport}`;
      const call = sijax.comet('signal_wait', [tag], { transport });
      expect((await call.next()).value).toContainEqual({
        type: 'html',
        selector: '#step',
        html: '1',
      });
      await call.cancel();
      const record = app.get(LifecycleProbe).call(tag);
      expect(record.finallyAt).toBeDefined();
      expect(record.response?.signal.aborted).toBe(true);
    },
  );

  it('hands the return value over as the last batch, and reads well with for await', async () => {
    const seen: string[] = [];
    const call = sijax.comet('count_down', [3]);
    for await (const batch of call) {
      seen.push(...commandsOfType([batch], 'html').map((command) => String(command.html)));
    }
    expect(seen).toEqual(['3', '2', '1']);
    expect(await sijax.comet('asyncFunction', ['four']).result()).toBe(4);
  });

  it.each(['fetch', 'iframe'] as const)(
    'cuts a resumable call over %s and reconnects: every batch once, the handler ran once',
    async (transport) => {
      const tag = `kit-${transport}`;
      const call = sijax.comet('resumableProgress', [tag, 4], { transport });
      resume.latch(tag, 1).open();
      expect((await call.next()).value).toEqual([
        { type: 'html', selector: '#progress', html: '1 of 4' },
      ]);
      expect((await call.next()).value).toEqual([
        { type: 'html', selector: '#progress', html: '2 of 4' },
      ]);
      expect(call.resumable).toBe(true);
      call.cut();
      resume.latch(tag, 2).open();
      resume.latch(tag, 3).open();
      await until(() => resume.steps.get(tag) === 4, 5000, 'the handler to go on alone');
      call.reconnect();
      const rest = await call.all();
      expect(commandsOfType(rest, 'html').map((command) => command.html)).toEqual([
        '1 of 4',
        '2 of 4',
        '3 of 4',
        '4 of 4',
      ]);
      expect(await call.result()).toBe(4);
      expect(resume.runs.get(tag)).toBe(1);
    },
  );

  it('attaches to a running resumable call by its id, and cancels it', async () => {
    const tag = 'kit-attach';
    const call = sijax.comet('resumableProgress', [tag, 3]);
    await call.next();
    const second = sijax.attach(call.callId);
    expect((await second.next()).value).toEqual([
      { type: 'html', selector: '#progress', html: '1 of 3' },
    ]);
    expect(await sijax.cancel(call.callId)).toBe(200);
    await until(() => resume.signals.get(tag)?.aborted === true, 5000, 'the cancel');
    await expect(second.all()).resolves.toBeDefined();
  });

  it('tells a stream cut by the server from one that ended', async () => {
    probe.latches = [];
    const call = sijax.comet('run', [2]);
    await call.next();
    // The connection drops (not a shutdown, which would end the stream with a 503 error).
    (app.getHttpServer() as Server).closeAllConnections();
    await expect(call.all()).rejects.toBeInstanceOf(SijaxStreamCutError);
    probe.latch(1).open();
  });
});
