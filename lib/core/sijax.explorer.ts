import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper';
import { SijaxError } from '../errors/sijax.error';
import type { SijaxHandlerMetadata } from '../interfaces';
import { RESERVED_NAMES } from '../sijax.constants';
import {
  NON_STATIC_HANDLER,
  RESERVED_HANDLER_NAME,
  RESUMABLE_REGULAR_HANDLER,
  YIELDING_REGULAR_HANDLER,
} from '../sijax.messages';
import { HandlerPipelineFactory } from './handler-pipeline';
import { countParameters } from './parameter-count';
import { SijaxMetadataAccessor } from './sijax-metadata.accessor';
import { SijaxRegistry } from './sijax.registry';

/** Finds decorated providers at bootstrap and registers their methods. */
@Injectable()
export class SijaxExplorer implements OnModuleInit {
  private readonly logger = new Logger('Sijax');

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly accessor: SijaxMetadataAccessor,
    private readonly registry: SijaxRegistry,
    private readonly pipelines: HandlerPipelineFactory,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) this.explore(wrapper);
  }

  private explore(wrapper: InstanceWrapper): void {
    const instance: unknown = wrapper.instance;
    if (!instance || typeof instance !== 'object' || wrapper.isAlias) return;
    const prototype: unknown = Object.getPrototypeOf(instance);
    if (!prototype || prototype === Object.prototype) return;
    const handlers = this.handlersOf(instance, prototype);
    if (handlers.size === 0) return;
    if (!wrapper.isDependencyTreeStatic()) {
      this.logger.warn(NON_STATIC_HANDLER(instance.constructor.name));
      return;
    }
    for (const [methodName, metadata] of handlers) this.register(instance, methodName, metadata);
  }

  /** Method decorators beat the class decorator; the class one takes every other public method. */
  private handlersOf(instance: object, prototype: object): Map<string, SijaxHandlerMetadata> {
    const classMetadata = this.accessor.getClassMetadata(instance.constructor);
    const handlers = new Map<string, SijaxHandlerMetadata>();
    for (const methodName of this.scanner.getAllMethodNames(prototype)) {
      const method = (prototype as Record<string, Function>)[methodName];
      const metadata = this.accessor.getMethodMetadata(method);
      if (metadata) handlers.set(methodName, { ...classMetadata, ...metadata });
      else if (classMetadata && isPublicName(methodName)) handlers.set(methodName, classMetadata);
    }
    return handlers;
  }

  private register(instance: object, methodName: string, metadata: SijaxHandlerMetadata): void {
    const method = (instance as Record<string, (...args: never[]) => unknown>)[methodName];
    const owner = `${instance.constructor.name}#${methodName}`;
    const name = metadata.name ?? methodName;
    if (RESERVED_NAMES.has(name)) throw new SijaxError(RESERVED_HANDLER_NAME(name, owner));
    if (metadata.kind === 'sijax' && isGeneratorFunction(method)) {
      throw new SijaxError(YIELDING_REGULAR_HANDLER(owner));
    }
    if (metadata.kind === 'sijax' && metadata.resumable) {
      throw new SijaxError(RESUMABLE_REGULAR_HANDLER(owner));
    }
    const count = countParameters(method);
    this.registry.add({
      name,
      kind: metadata.kind,
      owner,
      minArgs: Math.max(0, count.required - 1),
      maxArgs: count.rest ? Infinity : Math.max(0, count.total - 1),
      timeoutMs: metadata.timeoutMs,
      resumable: metadata.resumable === true && metadata.kind === 'comet',
      upload: metadata.upload,
      ...this.pipelines.create(instance, methodName, count),
    });
  }
}

function isPublicName(name: string): boolean {
  return !name.startsWith('_') && !RESERVED_NAMES.has(name);
}

function isGeneratorFunction(fn: Function): boolean {
  const kind = fn.constructor.name;
  return kind === 'GeneratorFunction' || kind === 'AsyncGeneratorFunction';
}
