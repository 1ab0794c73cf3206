// (e) A bare Nest 11 + Express route that holds a response open, for the idle figure only: a
// `@Post('sijax')` with `@Res()` writes the Comet headers and the padded first chunk, then waits
// for the runner's 'release' gate, as the idle streams of the other servers do. What it costs per
// stream is what any Nest + Express app pays; the rest of Sijax's figure is the library's own.
import { createRequire } from 'node:module';
import {
  cometHeaders,
  createChunkFrame,
  createNonce,
  firstChunkPadding,
  gate,
  htmlCommand,
  reportReady,
  scriptChunk,
} from './shared.mjs';

const require = createRequire(import.meta.url);
require('reflect-metadata');
const { Body, Controller, Module, Post, Res } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');

class HoldController {
  async stream(body, res) {
    const nonce = createNonce();
    const frame = createChunkFrame(nonce);
    res.socket.setNoDelay(true);
    res.writeHead(200, cometHeaders(nonce));
    res.write(firstChunkPadding(nonce) + scriptChunk(frame, [htmlCommand('open')]));
    await gate('release');
    res.end();
  }
}

const proto = HoldController.prototype;
const stream = Object.getOwnPropertyDescriptor(proto, 'stream');
Reflect.decorate([Post('sijax')], proto, 'stream', stream);
Body()(proto, 'stream', 0);
Res()(proto, 'stream', 1);
Reflect.decorate([Controller()], HoldController);

class AppModule {}
Reflect.decorate([Module({ controllers: [HoldController] })], AppModule);

const app = await NestFactory.create(AppModule, { logger: ['error'] });
await app.listen(0, '127.0.0.1');
reportReady('nest-hold', app.getHttpServer());
