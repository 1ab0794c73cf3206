import {
  Catch,
  Injectable,
  UseFilters,
  UseGuards,
  UseInterceptors,
  UsePipes,
  ValidationPipe,
  type ArgumentsHost,
  type CallHandler,
  type CanActivate,
  type ExceptionFilter,
  type ExecutionContext,
  type INestApplication,
  type NestInterceptor,
} from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { IsInt, IsString, Min } from 'class-validator';
import { tap } from 'rxjs';
import { Test } from '@nestjs/testing';
import type { ServerResponse } from 'node:http';
import request from 'supertest';
import {
  CometCallback,
  CometHandler,
  SijaxCallback,
  type CometResponse,
  type SijaxResponse,
} from '../../lib';
import { testAppModule } from '../fixtures/test-app.module';
import { baseUrl, ChunkReader, parseChunks, sijaxBody } from '../utils/http-client';
import { createTestApp, startApp } from '../utils/test-app';

const seen: string[] = [];

@Injectable()
class CountingGlobalGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    seen.push(`global guard ${context.getType()}`);
    return (
      context.switchToHttp().getRequest<{ headers: Record<string, string> }>().headers[
        'x-block'
      ] !== 'all'
    );
  }
}

/** Lets the call through when the request carries `x-user`, and records what it was shown. */
class UserGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context
      .switchToHttp()
      .getRequest<{ headers: Record<string, string>; user?: string }>();
    seen.push(`user guard ${context.getType()} args=${JSON.stringify(context.getArgByIndex(3))}`);
    req.user = req.headers['x-user'];
    return Boolean(req.user);
  }
}

class AdminOnly implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    seen.push('admin guard');
    return context.switchToHttp().getRequest<{ user?: string }>().user === 'admin';
  }
}

class RecordingInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler) {
    seen.push(`interceptor before ${context.getHandler().name}`);
    return next.handle().pipe(tap((value) => seen.push(`interceptor saw ${typeof value}`)));
  }
}

class Teapot extends Error {}

@Catch(Teapot)
class TeapotFilter implements ExceptionFilter {
  catch(_: Teapot, host: ArgumentsHost) {
    seen.push(`filter ${host.getType()}`);
    return 'handled by filter';
  }
}

class Kettle extends Error {}

/** A filter that answers the HTTP request itself, as app filters often do. */
@Catch(Kettle)
class AnsweringFilter implements ExceptionFilter {
  catch(_: Kettle, host: ArgumentsHost) {
    const response = host.switchToHttp().getResponse<{ raw?: ServerResponse } & ServerResponse>();
    (response.raw ?? response).writeHead(418, { 'Content-Type': 'text/plain' }).end('teapot');
  }
}

class Greeting {
  @IsString()
  name!: string;

  @IsInt()
  @Min(1)
  times!: number;
}

@CometHandler()
@UseGuards(UserGuard)
class SecureHandlers {
  *whoAmI(response: CometResponse) {
    seen.push('whoAmI ran');
    response.alert(`you are ${String(response.request.user)}`);
    yield;
  }

  @UseGuards(AdminOnly)
  *adminTask(response: CometResponse) {
    seen.push('adminTask ran');
    response.alert('admin');
    yield;
  }

  @UseInterceptors(RecordingInterceptor)
  *intercepted(response: CometResponse) {
    response.alert('x');
    yield;
  }

  @CometCallback('answeredByFilter')
  @UseFilters(AnsweringFilter)
  async kettle() {
    await Promise.resolve();
    throw new Kettle();
  }

  @CometCallback('filtered')
  @UseFilters(TeapotFilter)
  async teapot() {
    await Promise.resolve();
    throw new Teapot();
  }
}

@Injectable()
class ValidatedHandlers {
  @SijaxCallback()
  @UsePipes(new ValidationPipe({ transform: true }))
  greet(response: SijaxResponse, greeting: Greeting) {
    seen.push(`greet got ${greeting.constructor.name}`);
    response.alert(`${greeting.name} x${greeting.times}`);
  }
}

describe('Nest request pipeline on Sijax handlers', () => {
  let app: INestApplication;

  beforeAll(async () => {
    app = await startApp([
      testAppModule(
        {},
        {
          providers: [
            SecureHandlers,
            ValidatedHandlers,
            { provide: APP_GUARD, useClass: CountingGlobalGuard },
          ],
        },
      ),
    ]);
  });

  beforeEach(() => seen.splice(0));
  afterAll(() => app.close());

  const comet = (name: string, headers: Record<string, string> = {}) =>
    new ChunkReader(`${baseUrl(app)}/sijax`, sijaxBody(name, []), headers);

  it('runs class guards with the HTTP request, and the handler reads the request', async () => {
    const reader = comet('whoAmI', { 'x-user': 'ann' });
    await reader.done;
    expect(parseChunks(reader.text)).toEqual([[{ type: 'alert', alert: 'you are ann' }]]);
    expect(seen).toEqual(['global guard http', 'user guard sijax args=[]', 'whoAmI ran']);
  });

  it('refuses clearly when a guard says no, and the handler never runs', async () => {
    const reader = comet('whoAmI');
    await reader.done;
    expect(reader.response?.statusCode).toBe(403);
    expect(parseChunks(reader.text)).toEqual([
      [{ type: 'error', error: 'Forbidden resource', status: 403, name: 'ForbiddenException' }],
    ]);
    expect(seen).not.toContain('whoAmI ran');
  });

  it('combines method guards with class guards', async () => {
    const refused = comet('adminTask', { 'x-user': 'bob' });
    await refused.done;
    expect(refused.response?.statusCode).toBe(403);
    expect(seen).toEqual(['global guard http', 'user guard sijax args=[]', 'admin guard']);
    seen.splice(0);
    const allowed = comet('adminTask', { 'x-user': 'admin' });
    await allowed.done;
    expect(parseChunks(allowed.text)).toEqual([[{ type: 'alert', alert: 'admin' }]]);
    expect(seen).toContain('adminTask ran');
  });

  it('runs an APP_GUARD once per call, on the route, and its refusal reaches an iframe as a script', async () => {
    const reader = comet('whoAmI', {
      'x-user': 'ann',
      'x-block': 'all',
      'sec-fetch-dest': 'iframe',
    });
    await reader.done;
    expect(seen).toEqual(['global guard http']);
    expect(reader.response?.statusCode).toBe(403);
    expect(parseChunks(reader.text)).toEqual([
      [{ type: 'error', error: 'Forbidden resource', status: 403, name: 'ForbiddenException' }],
    ]);
  });

  it('runs interceptors around the call; they see the generator, not the chunks', async () => {
    const reader = comet('intercepted', { 'x-user': 'ann' });
    await reader.done;
    expect(parseChunks(reader.text)).toEqual([[{ type: 'alert', alert: 'x' }]]);
    expect(seen).toContain('interceptor before intercepted');
    expect(seen).toContain('interceptor saw object');
  });

  it('lets a method filter handle an exception', async () => {
    const reader = comet('filtered', { 'x-user': 'ann' });
    await reader.done;
    expect(parseChunks(reader.text)).toEqual([[{ type: 'return', value: 'handled by filter' }]]);
    expect(seen).toContain('filter sijax');
  });

  it('leaves the response to a filter that answered it, without crashing', async () => {
    const reader = comet('answeredByFilter', { 'x-user': 'ann' });
    await reader.done;
    expect(reader.response?.statusCode).toBe(418);
    expect(reader.text).toBe('teapot');
    const after = comet('whoAmI', { 'x-user': 'ann' });
    await after.done;
    expect(parseChunks(after.text)).toEqual([[{ type: 'alert', alert: 'you are ann' }]]);
  });

  it('validates and transforms argument DTOs with ValidationPipe', async () => {
    const post = (args: unknown[]) =>
      request(app.getHttpServer()).post('/sijax').type('form').send(sijaxBody('greet', args));
    const ok = await post([{ name: 'Ann', times: 2 }]).expect(200);
    expect(ok.body).toEqual([{ type: 'alert', alert: 'Ann x2' }]);
    expect(seen).toContain('greet got Greeting');
    const bad = await post([{ name: 5, times: 0 }]).expect(400);
    expect(bad.body).toEqual([
      {
        type: 'error',
        error: 'name must be a string; times must not be less than 1',
        status: 400,
        name: 'BadRequestException',
      },
    ]);
  });
});

@Injectable()
class GloballyValidated {
  @SijaxCallback()
  hello(response: SijaxResponse, greeting: Greeting) {
    response.alert(`${greeting.constructor.name} ${greeting.name}`);
  }
}

describe('Global pipes on Sijax handlers', () => {
  it('apply to browser arguments', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [testAppModule({}, { providers: [GloballyValidated] })],
    }).compile();
    const app = createTestApp(moduleRef);
    app.useGlobalPipes(new ValidationPipe({ transform: true }));
    await app.listen(0, '127.0.0.1');
    try {
      const post = (args: unknown[]) =>
        request(app.getHttpServer()).post('/sijax').type('form').send(sijaxBody('hello', args));
      expect((await post([{ name: 'Ann', times: 1 }]).expect(200)).body).toEqual([
        { type: 'alert', alert: 'Greeting Ann' },
      ]);
      expect((await post([{ name: 'Ann', times: 0 }]).expect(400)).body[0]).toMatchObject({
        type: 'error',
        status: 400,
        error: 'times must not be less than 1',
      });
    } finally {
      await app.close();
    }
  });
});
