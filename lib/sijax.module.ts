import { Module, type DynamicModule } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { SijaxDispatcher } from './sijax.dispatcher';
import { SijaxExplorer } from './sijax.explorer';
import { SijaxHandlerFactory } from './sijax-handler.factory';
import { SijaxMetadataAccessor } from './sijax-metadata.accessor';
import {
  ASYNC_OPTIONS_TYPE,
  ConfigurableModuleClass,
  OPTIONS_TYPE,
} from './sijax.module-definition';
import { SijaxOptions } from './sijax-options';
import { SijaxRegistry } from './sijax.registry';
import { FastifyBodySetup } from './transport/fastify-body.setup';
import { OpenCometStreams } from './transport/open-comet-streams';
import { SijaxClientAsset } from './transport/sijax-client.asset';

/**
 * Sijax and its Comet plugin for Nest: takes calls at `path` (default `/sijax`) and serves the
 * browser client at `{path}/sijax.js`.
 * @publicApi
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    SijaxOptions,
    SijaxRegistry,
    SijaxMetadataAccessor,
    SijaxHandlerFactory,
    SijaxExplorer,
    SijaxDispatcher,
    SijaxClientAsset,
    OpenCometStreams,
    FastifyBodySetup,
  ],
  exports: [SijaxRegistry],
})
export class SijaxModule extends ConfigurableModuleClass {
  /** Options given directly; every one is optional. */
  static forRoot(options: typeof OPTIONS_TYPE = {}): DynamicModule {
    return super.forRoot(options);
  }

  /** Options from a factory, class or existing provider; `path` must be given here, not there. */
  static forRootAsync(options: typeof ASYNC_OPTIONS_TYPE): DynamicModule {
    return super.forRootAsync(options);
  }
}
