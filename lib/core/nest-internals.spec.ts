import { Injectable, Module, type CanActivate, type PipeTransform } from '@nestjs/common';
import { ExternalContextCreator, NestFactory } from '@nestjs/core';
import {
  GLOBAL_ENHANCER_GETTERS,
  containerOf,
  globalPipeCount,
  handlerLevelCreator,
} from './nest-internals';

@Injectable()
class AllowAll implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

class Identity implements PipeTransform {
  transform(value: unknown): unknown {
    return value;
  }
}

@Module({})
class EmptyModule {}

/**
 * The private names core/nest-internals.ts relies on, checked on the installed Nest: this spec
 * fails first when Nest renames or moves one of them.
 */
describe('Nest internals the library relies on', () => {
  it('ExternalContextCreator keeps its container, and the container its ApplicationConfig', async () => {
    const app = await NestFactory.create(EmptyModule, { logger: false });
    app.useGlobalGuards(new AllowAll());
    app.useGlobalPipes(new Identity());
    await app.init();
    const injected = app.get(ExternalContextCreator);
    const container = containerOf(injected);
    expect(container).toBeDefined();
    const config = container!.applicationConfig as unknown as Record<string, () => unknown[]>;
    for (const getter of GLOBAL_ENHANCER_GETTERS) expect(typeof config[getter]).toBe('function');
    expect(config.getGlobalGuards()).toHaveLength(1);
    expect(globalPipeCount(injected)).toBe(1);
    // The handler-level view hides the global guard but keeps the global pipe.
    const view = containerOf(handlerLevelCreator(injected))!.applicationConfig!;
    expect(view.getGlobalGuards()).toEqual([]);
    expect(view.getGlobalPipes()).toHaveLength(1);
    await app.close();
  });

  it('falls back to the injected creator when the container is not where it used to be', () => {
    const stranger = {} as ExternalContextCreator;
    expect(containerOf(stranger)).toBeUndefined();
    expect(globalPipeCount(stranger)).toBeUndefined();
    expect(handlerLevelCreator(stranger)).toBe(stranger);
  });
});
