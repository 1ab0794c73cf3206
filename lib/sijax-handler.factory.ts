import { Injectable } from '@nestjs/common';
import { ExternalContextCreator, type ApplicationConfig, type ParamsFactory } from '@nestjs/core';
import type { NestContainer } from '@nestjs/core/injector/container';
import { isObservable, type Observable } from 'rxjs';
import type { SijaxResponse } from './response/sijax-response';
import { SIJAX_PARAMS_METADATA } from './sijax.constants';
import type { ParameterCount } from './utils/parameter-count.util';

/** What a guarded handler is called with: Nest's context sees these as `getArgs()`. */
export type SijaxCallArgs = [
  request: unknown,
  response: unknown,
  sijax: SijaxResponse,
  args: unknown[],
];
export type GuardedHandler = (...args: SijaxCallArgs) => Promise<unknown>;
type Method = (...args: unknown[]) => unknown;

/** `ExternalContextCreator` flattens Observables to their last value; a box keeps them whole. */
class ObservableResult {
  constructor(readonly observable: Observable<unknown>) {}
}

/**
 * How each handler parameter is filled: the response, one browser argument, or the rest. Pipes
 * see browser arguments as `body`, so `ValidationPipe` validates them; the others as `custom`.
 */
const SijaxParam = { Response: 1, Argument: 3, Rest: 2 } as const; // Nest's RouteParamtypes values

const paramsFactory: ParamsFactory = {
  exchangeKeyForValue(type: number, data: unknown, [, , sijax, args]: SijaxCallArgs) {
    if (type === SijaxParam.Response) return sijax;
    return type === SijaxParam.Argument ? args[data as number] : args.slice(data as number);
  },
};

/** `@UsePipes()`'s metadata key; Nest's constants are not exported from its package root. */
const PIPES_METADATA = '__pipes__';

/** Global guards, interceptors and filters already ran on the Sijax route itself. */
const ROUTE_LEVEL_ENHANCERS = /^getGlobal(Request)?(Guards|Interceptors|Filters)$/;

/**
 * Wraps handler methods so Nest guards, interceptors, pipes and filters declared on handler
 * classes and methods apply to them, and global pipes to their arguments.
 */
@Injectable()
export class SijaxHandlerFactory {
  private readonly externalContextCreator: ExternalContextCreator;
  private readonly config?: ApplicationConfig;

  constructor(externalContextCreator: ExternalContextCreator) {
    this.config = containerOf(externalContextCreator)?.applicationConfig;
    this.externalContextCreator = handlerLevelCreator(externalContextCreator);
  }

  create(instance: object, methodName: string, count: ParameterCount): GuardedHandler {
    const method = (instance as Record<string, Method>)[methodName];
    const piped = this.hasPipes(instance, method);
    // Without pipes, the handler takes the raw arguments: Nest's per-parameter pass costs a
    // promise per argument on every call.
    if (piped) defineParams(instance.constructor, methodName, count);
    const shim = function (this: unknown, ...params: unknown[]) {
      if (!piped) params = [params[2], ...(params[3] as unknown[])];
      else if (count.rest) {
        params = [...params.slice(0, -1), ...(params[params.length - 1] as unknown[])];
      }
      const result = method.apply(this, params);
      return isObservable(result) ? new ObservableResult(result) : result;
    };
    // Guards and friends read the function's metadata and name: the shim must carry the method's.
    Object.defineProperty(shim, 'name', { value: methodName });
    for (const key of Reflect.getMetadataKeys(method)) {
      Reflect.defineMetadata(key, Reflect.getMetadata(key, method), shim);
    }
    const guarded = this.externalContextCreator.create(
      instance,
      shim,
      methodName,
      piped ? SIJAX_PARAMS_METADATA : undefined,
      piped ? paramsFactory : undefined,
      undefined,
      undefined,
      { guards: true, interceptors: true, filters: true },
      'sijax',
    );
    return async (...args) => {
      const result: unknown = await guarded(...args);
      return result instanceof ObservableResult ? result.observable : result;
    };
  }

  /** Pipes on the method, its class or the app (known by now: discovery runs at init). */
  private hasPipes(instance: object, method: Method): boolean {
    const declared = (target: object) =>
      ((Reflect.getMetadata(PIPES_METADATA, target) as unknown[] | undefined) ?? []).length > 0;
    if (declared(method) || declared(instance.constructor)) return true;
    if (!this.config) return true;
    return this.config.getGlobalPipes().length + this.config.getGlobalRequestPipes().length > 0;
  }
}

/** Parameter 0 is the response; then one per browser argument; a rest parameter takes the rest. */
function defineParams(target: object, methodName: string, count: ParameterCount): void {
  const params: Record<string, { index: number; data?: number; pipes: [] }> = {
    [`${SijaxParam.Response}:0`]: { index: 0, pipes: [] },
  };
  for (let index = 1; index < count.total; index++) {
    params[`${SijaxParam.Argument}:${index}`] = { index, data: index - 1, pipes: [] };
  }
  if (count.rest) {
    const index = Math.max(count.total, 1);
    params[`${SijaxParam.Rest}:${index}`] = { index, data: index - 1, pipes: [] };
  }
  Reflect.defineMetadata(SIJAX_PARAMS_METADATA, params, target, methodName);
}

function containerOf(creator: ExternalContextCreator): NestContainer | undefined {
  return (creator as unknown as { container?: NestContainer }).container;
}

/**
 * A creator that sees the app's global pipes but not its global guards, interceptors and
 * filters: those wrap the Sijax route already, and running a guard twice would, for example,
 * count a rate limit twice. Nest exposes the container only on the injected creator.
 */
function handlerLevelCreator(injected: ExternalContextCreator): ExternalContextCreator {
  const container = containerOf(injected);
  const config = container?.applicationConfig;
  if (!container || !config) return injected;
  const handlerConfig = new Proxy(config, {
    get: (target, key, receiver) =>
      typeof key === 'string' && ROUTE_LEVEL_ENHANCERS.test(key)
        ? () => []
        : (Reflect.get(target, key, receiver) as unknown),
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
