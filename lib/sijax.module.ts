import { Module, type DynamicModule } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { HandlerPipelineFactory } from './core/handler-pipeline';
import { SijaxDispatcher } from './core/sijax.dispatcher';
import { SijaxExplorer } from './core/sijax.explorer';
import { SijaxMetadataAccessor } from './core/sijax-metadata.accessor';
import { SijaxRegistry } from './core/sijax.registry';
import { SijaxClientAsset } from './http/client-asset';
import { FastifyBodySetup } from './http/fastify-body.setup';
import { PlatformRefusals } from './http/platform-refusals';
import { ResumableRequests } from './http/resumable-requests';
import { UploadRequests } from './http/upload-requests';
import { ResumableCalls } from './resume/resumable-calls';
import {
  ASYNC_OPTIONS_TYPE,
  ConfigurableModuleClass,
  OPTIONS_TYPE,
} from './sijax.module-definition';
import { SijaxOptions } from './sijax-options';
import { CometStreams } from './transports/comet-streams';

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
    HandlerPipelineFactory,
    SijaxExplorer,
    SijaxDispatcher,
    SijaxClientAsset,
    CometStreams,
    ResumableCalls,
    ResumableRequests,
    UploadRequests,
    FastifyBodySetup,
    PlatformRefusals,
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
