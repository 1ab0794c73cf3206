import { Injectable } from '@nestjs/common';
import { GUARDS_METADATA, PIPES_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { ExternalContextCreator, type ParamsFactory } from '@nestjs/core';
import { isObservable, type Observable } from 'rxjs';
import type { SijaxResponse } from '../response/sijax-response';
import { SIJAX_PARAMS_METADATA } from '../sijax.constants';
import { globalPipeCount, handlerLevelCreator } from './nest-internals';
import type { ParameterCount } from './parameter-count';

/** What a guarded handler is called with: Nest's context sees these as `getArgs()`. */
export type SijaxCallArgs = [
  request: unknown,
  response: unknown,
  sijax: SijaxResponse,
  args: unknown[],
];
export type GuardedHandler = (...args: SijaxCallArgs) => Promise<unknown>;
type Method = (...args: unknown[]) => unknown;

/** What a handler's guard check answers when every guard let the call through. */
export const GUARDS_PASSED = Symbol('sijax:guards-passed');

/** A handler wrapped in Nest's pipeline: `guard` runs its own guards alone, `run` the rest. */
export interface HandlerPipeline {
  /** Set when the handler has guards of its own; resolves GUARDS_PASSED or a filter's answer. */
  guard?: GuardedHandler;
  run: GuardedHandler;
}

/** `ExternalContextCreator` flattens Observables to their last value; a box keeps them whole. */
class ObservableResult {
  constructor(readonly observable: Observable<unknown>) {}
}

/**
 * How each handler parameter is filled: the response, one browser argument, or the rest. Pipes
 * see browser arguments as `body`, so `ValidationPipe` validates them; the others as `custom`.
 */
const SijaxParam = {
  Response: RouteParamtypes.RESPONSE,
  Argument: RouteParamtypes.BODY,
  Rest: RouteParamtypes.NEXT,
} as const;

const paramsFactory: ParamsFactory = {
  exchangeKeyForValue(key: number, data: unknown, [, , sijax, args]: SijaxCallArgs) {
    const type = key as RouteParamtypes;
    if (type === SijaxParam.Response) return sijax;
    return type === SijaxParam.Argument ? args[data as number] : args.slice(data as number);
  },
};

/**
 * Wraps handler methods so Nest guards, interceptors, pipes and filters declared on handler
 * classes and methods apply to them, and global pipes to their arguments.
 */
@Injectable()
export class HandlerPipelineFactory {
  private readonly creator: ExternalContextCreator;

  constructor(private readonly injected: ExternalContextCreator) {
    this.creator = handlerLevelCreator(injected);
  }

  create(instance: object, methodName: string, count: ParameterCount): HandlerPipeline {
    const method = (instance as Record<string, Method>)[methodName];
    // App-wide pipes are known by now (discovery runs at init), not when this was constructed.
    const piped =
      this.declares(PIPES_METADATA, instance, method) || globalPipeCount(this.injected) !== 0;
    const guarded = this.declares(GUARDS_METADATA, instance, method);
    // Without pipes, the handler takes the raw arguments: Nest's per-parameter pass costs a
    // promise per argument on every call.
    if (piped) defineParams(instance.constructor, methodName, count);
    const shim = carryMetadata(method, methodName, function (this: unknown, ...params: unknown[]) {
      if (!piped) params = [params[2], ...(params[3] as unknown[])];
      else if (count.rest) {
        params = [...params.slice(0, -1), ...(params[params.length - 1] as unknown[])];
      }
      const result = method.apply(this, params);
      return isObservable(result) ? new ObservableResult(result) : result;
    });
    const wrapped = this.creator.create(
      instance,
      shim,
      methodName,
      piped ? SIJAX_PARAMS_METADATA : undefined,
      piped ? paramsFactory : undefined,
      undefined,
      undefined,
      // Guards ran on their own already, before the argument check.
      { guards: !guarded, interceptors: true, filters: true },
      'sijax',
    );
    const run: GuardedHandler = async (...args) => {
      const result: unknown = await wrapped(...args);
      return result instanceof ObservableResult ? result.observable : result;
    };
    return { run, guard: guarded ? this.guardOnly(instance, method, methodName) : undefined };
  }

  /** The handler's guards (and filters, for what they throw) around a function that does nothing. */
  private guardOnly(instance: object, method: Method, methodName: string): GuardedHandler {
    const pass = carryMetadata(method, methodName, () => GUARDS_PASSED);
    // Its own name: Nest caches parameter metadata per instance and method name.
    return this.creator.create(
      instance,
      pass,
      `${methodName} (guards)`,
      undefined,
      undefined,
      undefined,
      undefined,
      { guards: true, interceptors: false, filters: true },
      'sijax',
    ) as GuardedHandler;
  }

  /** Declared on the method or its class. */
  private declares(key: string, instance: object, method: Method): boolean {
    const declared = (target: object) =>
      ((Reflect.getMetadata(key, target) as unknown[] | undefined) ?? []).length > 0;
    return declared(method) || declared(instance.constructor);
  }
}

/** Guards and friends read the function's metadata and name: a shim must carry the method's. */
function carryMetadata<F extends Function>(method: Method, name: string, shim: F): F {
  Object.defineProperty(shim, 'name', { value: name });
  for (const key of Reflect.getMetadataKeys(method)) {
    Reflect.defineMetadata(key, Reflect.getMetadata(key, method), shim);
  }
  return shim;
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
