import { Module } from '@nestjs/common';
import { SijaxModule } from '../lib';
import { FormHandler } from './form.handler';
import { Greeter } from './greeter';
import { JobsService } from './jobs.service';
import { ProgressHandler } from './progress.handler';

@Module({
  // The defaults suit the demo: calls at POST /sijax, the client at GET /sijax/sijax.js.
  imports: [SijaxModule.forRoot()],
  providers: [JobsService, ProgressHandler, Greeter, FormHandler],
})
export class AppModule {}
