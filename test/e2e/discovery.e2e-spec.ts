import { Injectable, Module, Scope, type LoggerService, type Provider } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import {
  CometCallback,
  CometHandler,
  SijaxCallback,
  SijaxHandler,
  SijaxModule,
  SijaxRegistry,
  type SijaxResponse,
} from '../../lib';
import { testAppModule } from '../fixtures/test-app.module';
import { sijaxBody } from '../utils/http-client';
import { captureLogs, createTestApp, startApp } from '../utils/test-app';

async function initWith(providers: Provider[], logger: LoggerService | false = false) {
  @Module({ imports: [SijaxModule.forRoot()], providers })
  class AppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const app = createTestApp(moduleRef, { logger });
  await app.init();
  return app;
}

@SijaxHandler()
class First {
  save(response: SijaxResponse) {
    response.alert('first');
  }
}

@Injectable()
class Second {
  @SijaxCallback('save')
  store(response: SijaxResponse) {
    response.alert('second');
  }
}

@CometHandler()
class Aliased {
  @CometCallback('renamed')
  original() {}
  other() {}
  get accessor() {
    return 1;
  }
}

class Base {
  inherited(response: SijaxResponse) {
    response.alert('from base');
  }
}

@SijaxHandler()
class Derived extends Base {
  own() {}
  onModuleInit() {}
}

@SijaxHandler()
class YieldingRegular {
  *stream() {
    yield;
  }
}

@Injectable({ scope: Scope.REQUEST })
class RequestScoped {
  @SijaxCallback()
  scoped() {}
}

describe('Discovery of handlers', () => {
  it('registers every public method of a class, by its own name (register_object)', async () => {
    const app = await initWith([Derived]);
    const names = app
      .get(SijaxRegistry)
      .getAll()
      .map((handler) => handler.name);
    expect(names.sort()).toEqual(['inherited', 'own']);
    expect(app.get(SijaxRegistry).get('own')).toMatchObject({
      kind: 'sijax',
      owner: 'Derived#own',
    });
    await app.close();
  });

  it('lets a method decorator rename a method of a decorated class; accessors are skipped', async () => {
    const app = await initWith([Aliased]);
    const registry = app.get(SijaxRegistry);
    expect(
      registry
        .getAll()
        .map((handler) => handler.name)
        .sort(),
    ).toEqual(['other', 'renamed']);
    expect(registry.get('renamed')).toMatchObject({ kind: 'comet', owner: 'Aliased#original' });
    await app.close();
  });

  it('fails the app start when two handlers share a name, naming both', async () => {
    await expect(initWith([First, Second])).rejects.toThrow(
      'Sijax function "save" is registered twice: by First#save and by Second#store.',
    );
  });

  it('fails the app start for a regular handler that is a generator', async () => {
    await expect(initWith([YieldingRegular])).rejects.toThrow(
      'YieldingRegular#stream is a generator, but regular Sijax functions cannot stream',
    );
  });

  it('registers an aliased (useExisting) provider once, and useValue/useFactory instances', async () => {
    const app = await initWith([
      First,
      { provide: 'ALIAS', useExisting: First },
      { provide: 'VALUE', useValue: new Aliased() },
      { provide: 'FACTORY', useFactory: () => new Derived() },
    ]);
    const names = app
      .get(SijaxRegistry)
      .getAll()
      .map((handler) => handler.name);
    expect(names.sort()).toEqual(['inherited', 'other', 'own', 'renamed', 'save']);
    await app.close();
  });

  it('skips a request-scoped handler with a warning under the Sijax context', async () => {
    const logs = captureLogs();
    try {
      const app = await initWith([RequestScoped], logs.logger);
      expect(app.get(SijaxRegistry).get('scoped')).toBeUndefined();
      expect(logs.logs).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          context: 'Sijax',
          message: expect.stringContaining('RequestScoped is request-scoped'),
        }),
      );
      await app.close();
    } finally {
      logs.restore();
    }
  });

  it('calls handlers on the provider instance with its injected dependencies', async () => {
    const app = await startApp([testAppModule()]);
    const res = await request(app.getHttpServer())
      .post('/sijax')
      .type('form')
      .send(sijaxBody('say_hello', ['DI']))
      .expect(200);
    expect(res.body).toEqual([{ type: 'alert', alert: 'Hello DI' }]);
    await app.close();
  });
});
