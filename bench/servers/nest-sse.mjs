// (b1) Nest 11's own streaming: a POST `@Sse()` route whose Observable emits one MessageEvent per
// chunk, carrying the same command as the Comet chunk (Nest serialises it as the `data:` line).
import { createRequire } from 'node:module';
import { htmlCommand, itemHtml, parseArgs, reportReady } from './shared.mjs';

const require = createRequire(import.meta.url);
require('reflect-metadata');
const { Body, Controller, HttpCode, Module, RequestMethod, Sse } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { map, range } = require('rxjs');

class SseController {
  stream(body) {
    const { n } = parseArgs(body.sijax_args);
    return range(0, n).pipe(map((i) => ({ data: [htmlCommand(itemHtml(i, n))] })));
  }
}

const proto = SseController.prototype;
// `maxPendingDataLength: 0`: a synchronous Observable of 100,000 events outruns any socket, and
// the default 4M-character limit would drop the connection.
const sse = Sse('sijax', { method: RequestMethod.POST, maxPendingDataLength: 0 });
Reflect.decorate(
  [sse, HttpCode(200)],
  proto,
  'stream',
  Object.getOwnPropertyDescriptor(proto, 'stream'),
);
Body()(proto, 'stream', 0);
Reflect.decorate([Controller()], SseController);

class AppModule {}
Reflect.decorate([Module({ controllers: [SseController] })], AppModule);

const app = await NestFactory.create(AppModule, { logger: ['error'] });
await app.listen(0, '127.0.0.1');
reportReady('nest-sse', app.getHttpServer());
