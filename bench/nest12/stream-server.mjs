// (b2) Nest 12's streaming responses (>= 12.4): a plain `@Post()` handler returns an async
// generator and Nest writes each item as it comes. The items are the same script chunks as the
// raw server's, so the client counts them the same way. Runs on this folder's node_modules.
import 'reflect-metadata';
import { Body, Controller, Header, HttpCode, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  cometHeaders,
  createChunkFrame,
  createNonce,
  firstChunkPadding,
  htmlCommand,
  itemHtml,
  parseArgs,
  reportReady,
  scriptChunk,
} from '../servers/shared.mjs';

class StreamController {
  async *stream(body) {
    const { n } = parseArgs(body.sijax_args);
    const nonce = createNonce();
    const frame = createChunkFrame(nonce);
    let head = firstChunkPadding(nonce);
    for (let i = 0; i < n; i++) {
      yield head + scriptChunk(frame, [htmlCommand(itemHtml(i, n))]);
      head = '';
    }
  }
}

const proto = StreamController.prototype;
// The comet headers (a decorator cannot vary the CSP nonce per response: same size, fixed value).
const headers = Object.entries(cometHeaders('static')).map(([name, value]) => Header(name, value));
const stream = Object.getOwnPropertyDescriptor(proto, 'stream');
Reflect.decorate([Post('sijax'), HttpCode(200), ...headers], proto, 'stream', stream);
Body()(proto, 'stream', 0);
Reflect.decorate([Controller()], StreamController);

class AppModule {}
Reflect.decorate([Module({ controllers: [StreamController] })], AppModule);

const app = await NestFactory.create(AppModule, { logger: ['error'] });
await app.listen(0, '127.0.0.1');
reportReady('nest12-stream', app.getHttpServer());
