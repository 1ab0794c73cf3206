// (d) A plain Nest 11 `@Post()` route answering the same small array of commands as the Sijax
// callback `plain` of `sijax.mjs` (which runs in its own process, on the same Nest and Express).
import { createRequire } from 'node:module';
import { PLAIN_HTML, htmlCommand, reportReady } from './shared.mjs';

const require = createRequire(import.meta.url);
require('reflect-metadata');
const { Controller, HttpCode, Module, Post } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');

class PlainController {
  plain() {
    return [htmlCommand(PLAIN_HTML)];
  }
}

const proto = PlainController.prototype;
const plain = Object.getOwnPropertyDescriptor(proto, 'plain');
Reflect.decorate([Post('plain'), HttpCode(200)], proto, 'plain', plain);
Reflect.decorate([Controller()], PlainController);

class AppModule {}
Reflect.decorate([Module({ controllers: [PlainController] })], AppModule);

const app = await NestFactory.create(AppModule, { logger: ['error'] });
await app.listen(0, '127.0.0.1');
reportReady('nest-post', app.getHttpServer());
