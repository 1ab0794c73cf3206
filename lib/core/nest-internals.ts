import { ExternalContextCreator, type ApplicationConfig } from '@nestjs/core';
import type { NestContainer } from '@nestjs/core/injector/container';

/**
 * The one file that touches Nest internals, because no public API does what it needs: a view of
 * the app's enhancers without its global guards, interceptors and filters.
 *
 * Private names touched:
 * - `ExternalContextCreator#container`: a private field holding the `NestContainer` (the
 *   creator Nest injects is built by `fromContainer()`, which sets it);
 * - `NestContainer#applicationConfig`: the `ApplicationConfig` of the app (an internal class);
 * - `ApplicationConfig#getGlobalGuards`, `#getGlobalRequestGuards`, `#getGlobalInterceptors`,
 *   `#getGlobalRequestInterceptors`, `#getGlobalFilters`, `#getGlobalRequestFilters`,
 *   `#getGlobalPipes`, `#getGlobalRequestPipes`: the methods the enhancer creators read.
 *
 * Checked against @nestjs/core 11.2.10 and 12.5.1. `nest-internals.spec.ts` fails first when one
 * of them changes; without them the library still works, only global guards would run twice.
 */

/** The methods of `ApplicationConfig` that yield the app's global enhancers. */
export const GLOBAL_ENHANCER_GETTERS = [
  'getGlobalGuards',
  'getGlobalRequestGuards',
  'getGlobalInterceptors',
  'getGlobalRequestInterceptors',
  'getGlobalFilters',
  'getGlobalRequestFilters',
] as const;

const GLOBAL_PIPE_GETTERS = ['getGlobalPipes', 'getGlobalRequestPipes'] as const;

/** The injected creator's container, if it still has one where it used to. */
export function containerOf(creator: ExternalContextCreator): NestContainer | undefined {
  const container = (creator as unknown as { container?: NestContainer }).container;
  const config = container?.applicationConfig;
  const known =
    config &&
    [...GLOBAL_ENHANCER_GETTERS, ...GLOBAL_PIPE_GETTERS].every(
      (name) => typeof (config as unknown as Record<string, unknown>)[name] === 'function',
    );
  return known ? container : undefined;
}

/** How many global pipes the app has, or undefined when that cannot be known. */
export function globalPipeCount(creator: ExternalContextCreator): number | undefined {
  const config: ApplicationConfig | undefined = containerOf(creator)?.applicationConfig;
  return config && config.getGlobalPipes().length + config.getGlobalRequestPipes().length;
}

/**
 * A creator that sees the app's global pipes but not its global guards, interceptors and
 * filters: those wrap the Sijax route already, and running a guard twice would, for example,
 * count a rate limit twice. Falls back to the injected creator when the internals moved.
 */
export function handlerLevelCreator(injected: ExternalContextCreator): ExternalContextCreator {
  const container = containerOf(injected);
  if (!container) return injected;
  const config = container.applicationConfig!;
  const hidden = new Set<string | symbol>(GLOBAL_ENHANCER_GETTERS);
  const handlerConfig = new Proxy(config, {
    get: (target, key, receiver) =>
      hidden.has(key) ? () => [] : (Reflect.get(target, key, receiver) as unknown),
  });
  return ExternalContextCreator.fromContainer(
    new Proxy(container, {
      get: (target, key, receiver) =>
        key === 'applicationConfig'
          ? handlerConfig
          : (Reflect.get(target, key, receiver) as unknown),
    }),
  );
}
