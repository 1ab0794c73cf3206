import { Injectable, Module, type DynamicModule, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import { SijaxModule, type SijaxModuleOptions } from '../../lib';
import { Greeter } from '../fixtures/test-handlers';
import { sijaxBody } from '../utils/http-client';
import { startApp } from '../utils/test-app';

const options: SijaxModuleOptions = {
  events: { invalidRequest: (response, name) => response.alert(`configured: ${name}`) },
};

@Injectable()
class OptionsFactory {
  createSijaxOptions(): SijaxModuleOptions {
    return options;
  }
}

@Module({ providers: [OptionsFactory], exports: [OptionsFactory] })
class OptionsModule {}

const variants: [string, () => DynamicModule][] = [
  ['forRoot', () => SijaxModule.forRoot({ ...options, path: '/calls' })],
  [
    'forRootAsync useFactory',
    () => SijaxModule.forRootAsync({ path: '/calls', useFactory: async () => options }),
  ],
  [
    'forRootAsync useClass',
    () => SijaxModule.forRootAsync({ path: '/calls', useClass: OptionsFactory }),
  ],
  [
    'forRootAsync useExisting',
    () =>
      SijaxModule.forRootAsync({
        path: '/calls',
        imports: [OptionsModule],
        useExisting: OptionsFactory,
      }),
  ],
];

describe.each(variants)('SijaxModule.%s', (_, sijaxModule) => {
  let app: INestApplication;

  beforeAll(async () => {
    app = await startApp([sijaxModule()]);
  });

  afterAll(() => app.close());

  it('applies the options and the path', async () => {
    const res = await request(app.getHttpServer())
      .post('/calls')
      .type('form')
      .send(sijaxBody('unknown_fn'))
      .expect(200);
    expect(res.body).toEqual([{ type: 'alert', alert: 'configured: unknown_fn' }]);
    await request(app.getHttpServer()).get('/calls/sijax.js').expect(200);
  });
});

describe('Two apps with two paths', () => {
  it('keep their own routes', async () => {
    const appA = await startApp([SijaxModule.forRoot({ path: '/a' })]);
    const appB = await startApp([
      SijaxModule.forRoot({ path: '/b' }),
      { module: class B {}, providers: [Greeter] },
    ]);
    try {
      await request(appA.getHttpServer()).get('/a/sijax.js').expect(200);
      await request(appA.getHttpServer()).get('/b/sijax.js').expect(404);
      await request(appB.getHttpServer()).get('/b/sijax.js').expect(200);
      const res = await request(appB.getHttpServer())
        .post('/b')
        .type('form')
        .send(sijaxBody('say_hello', ['B']));
      expect(res.body).toEqual([{ type: 'alert', alert: 'Hello B' }]);
    } finally {
      await appA.close();
      await appB.close();
    }
  });
});

describe('clientWarnings', () => {
  it.each([
    [undefined, true],
    [true, true],
    [false, false],
  ])(
    'clientWarnings: %s turns the served client selector warnings on: %s',
    async (clientWarnings, on) => {
      // NODE_ENV is 'test' under jest: the default is on, as in development.
      const app = await startApp([SijaxModule.forRoot({ clientWarnings })]);
      try {
        const res = await request(app.getHttpServer()).get('/sijax/sijax.js').expect(200);
        expect(res.text.startsWith('self.SIJAX_WARNINGS=true;')).toBe(on);
      } finally {
        await app.close();
      }
    },
  );
});
