import { Logger } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { createSampleApp } from './sample-app';

async function bootstrap(): Promise<void> {
  const app = await createSampleApp();
  await app.listen(process.env.PORT ?? 3000);
  const { port } = app.getHttpServer().address() as AddressInfo;
  new Logger('Sample').log(`Sijax demo running at http://localhost:${port}/`);
}

void bootstrap();
