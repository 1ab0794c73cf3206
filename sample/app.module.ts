import { Module } from '@nestjs/common';
import { SijaxModule } from '../lib';
import { AdminTasks } from './admin-tasks';
import { Calculator } from './calculator';
import { ConnectionDrops } from './connection-drops';
import { FormHandler } from './form.handler';
import { Greeter } from './greeter';
import { ImportHandler } from './import.handler';
import { JobsService } from './jobs.service';
import { NoticesHandler } from './notices.handler';
import { ProgressHandler } from './progress.handler';
import { ResumableTasks } from './resumable.handler';

@Module({
  // Calls at POST /sijax, the client at GET /sijax/sijax.js. Token mode: serving the client sets
  // the `sijax_csrf` cookie, the client sends it back with every call, a call without it gets 403.
  imports: [SijaxModule.forRoot({ csrf: { token: true } })],
  providers: [
    JobsService,
    ProgressHandler,
    Greeter,
    Calculator,
    FormHandler,
    NoticesHandler,
    AdminTasks,
    ImportHandler,
    ResumableTasks,
    ConnectionDrops,
  ],
})
export class AppModule {}
