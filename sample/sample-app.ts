import type { NestApplicationOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { join } from 'node:path';
import { AppModule } from './app.module';

/** The demo app, configured but not listening: shared by main.ts and the browser test. */
export async function createSampleApp(
  options: NestApplicationOptions = {},
): Promise<NestExpressApplication> {
  // forceCloseConnections: a Comet stream still open must not hold up shutdown.
  const app = await NestFactory.create<NestExpressApplication>(AppModule, {
    forceCloseConnections: true,
    ...options,
  });
  // sample/public from source, dist/sample/public once built (the Nest CLI copies it there).
  app.useStaticAssets(join(__dirname, 'public'));
  app.enableShutdownHooks();
  return app;
}
