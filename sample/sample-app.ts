import type { NestApplicationOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import compression from 'compression';
import helmet from 'helmet';
import { join } from 'node:path';
import { AppModule } from './app.module';
import { ConnectionDrops } from './connection-drops';

/** The demo app, configured but not listening: shared by main.ts and the browser test. */
export async function createSampleApp(
  options: NestApplicationOptions = {},
): Promise<NestExpressApplication> {
  // forceCloseConnections: a Comet stream still open must not hold up shutdown.
  const app = await NestFactory.create<NestExpressApplication>(AppModule, {
    forceCloseConnections: true,
    ...options,
  });
  // helmet's default Content-Security-Policy allows same-origin scripts only (the page has no
  // inline script); Comet responses bring their own policy, with a nonce for their script chunks.
  app.use(helmet());
  // Brotli or gzip, as the browser asks; the library flushes after every Comet chunk.
  app.use(compression());
  // Demo only: lets the page's "Drop connection" button drop its own event streams.
  app.use(app.get(ConnectionDrops).track);
  // sample/public from source, dist/sample/public once built (the Nest CLI copies it there).
  app.useStaticAssets(join(__dirname, 'public'));
  app.enableShutdownHooks();
  return app;
}
