import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { SijaxDispatcher } from './sijax.dispatcher';
import { SijaxExplorer } from './sijax.explorer';
import { SijaxHandlerFactory } from './sijax-handler.factory';
import { SijaxMetadataAccessor } from './sijax-metadata.accessor';
import { ConfigurableModuleClass } from './sijax.module-definition';
import { SijaxOptions } from './sijax-options';
import { SijaxRegistry } from './sijax.registry';
import { SijaxClientAsset } from './transport/sijax-client.asset';

/**
 * Sijax and its Comet plugin for Nest: `SijaxModule.forRoot()` or `forRootAsync()`.
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
  ],
  exports: [SijaxRegistry],
})
export class SijaxModule extends ConfigurableModuleClass {}
