import { Injectable } from '@nestjs/common';
import { ExternalContextCreator, type ParamsFactory } from '@nestjs/core';
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

/** How each handler parameter is filled: the response, one browser argument, or the rest. */
const SijaxParam = { Response: 0, Argument: 1, Rest: 2 } as const;

const paramsFactory: ParamsFactory = {
  exchangeKeyForValue(type: number, data: unknown, [, , sijax, args]: SijaxCallArgs) {
    if (type === SijaxParam.Response) return sijax;
    return type === SijaxParam.Argument ? args[data as number] : args.slice(data as number);
  },
};

/** Wraps handler methods so Nest guards, interceptors, pipes and filters apply to them. */
@Injectable()
export class SijaxHandlerFactory {
  constructor(private readonly externalContextCreator: ExternalContextCreator) {}

  create(instance: object, methodName: string, count: ParameterCount): GuardedHandler {
    const method = (instance as Record<string, Method>)[methodName];
    defineParams(instance.constructor, methodName, count);
    const shim = function (this: unknown, ...params: unknown[]) {
      if (count.rest)
        params = [...params.slice(0, -1), ...(params[params.length - 1] as unknown[])];
      const result = method.apply(this, params);
      return isObservable(result) ? new ObservableResult(result) : result;
    };
    // Guards and friends are read from the function's metadata: the shim must carry the method's.
    for (const key of Reflect.getMetadataKeys(method)) {
      Reflect.defineMetadata(key, Reflect.getMetadata(key, method), shim);
    }
    const guarded = this.externalContextCreator.create(
      instance,
      shim,
      methodName,
      SIJAX_PARAMS_METADATA,
      paramsFactory,
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
