// (c) This library, built (`dist/lib`), on Nest 11 + Express with its default options: a Comet
// handler for the streams (an `async *` method; (c-sse) is the same one asked for an event stream),
// the same chunks from a plain `*` method for (c-sync), and a regular Sijax callback for (d).
// Plain JS has no decorator syntax, so the decorators are applied as functions.
import { createRequire } from 'node:module';
import { PLAIN_HTML, gate, itemHtml, reportReady, sleep, stampHtml } from './shared.mjs';

const require = createRequire(import.meta.url);
require('reflect-metadata');
const { Injectable, Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { CometCallback, SijaxCallback, SijaxModule } = require('../../dist/lib');

class BenchHandlers {
  /** Same modes as the raw server: `response.html('#p', payload); yield;` per chunk. */
  async *stream(response, mode, n, interval) {
    if (mode === 'throughput') {
      for (let i = 0; i < n; i++) {
        response.html('#p', itemHtml(i, n));
        yield;
      }
    } else if (mode === 'latency') {
      response.html('#p', 'open');
      yield;
      await gate('go');
      for (let i = 0; i < n; i++) {
        await sleep(i === 0 ? Math.random() * interval : interval);
        response.html('#p', stampHtml());
        yield;
      }
    } else if (mode === 'idle') {
      response.html('#p', 'open');
      yield;
      await gate('release');
    }
  }

  /** (c-sync) The throughput mode's chunks from a plain generator: the library's sync yield path. */
  *streamSync(response, mode, n, _interval) {
    if (mode !== 'throughput')
      throw new Error(`stream_sync runs the throughput mode only, not ${mode}`);
    for (let i = 0; i < n; i++) {
      response.html('#p', itemHtml(i, n));
      yield;
    }
  }

  plain(response) {
    response.html('#p', PLAIN_HTML);
  }
}

const method = (cls, name) => Object.getOwnPropertyDescriptor(cls.prototype, name);
Reflect.decorate(
  [CometCallback('stream')],
  BenchHandlers.prototype,
  'stream',
  method(BenchHandlers, 'stream'),
);
Reflect.decorate(
  [CometCallback('stream_sync')],
  BenchHandlers.prototype,
  'streamSync',
  method(BenchHandlers, 'streamSync'),
);
Reflect.decorate(
  [SijaxCallback('plain')],
  BenchHandlers.prototype,
  'plain',
  method(BenchHandlers, 'plain'),
);
Reflect.decorate([Injectable()], BenchHandlers);

class AppModule {}
Reflect.decorate(
  [Module({ imports: [SijaxModule.forRoot()], providers: [BenchHandlers] })],
  AppModule,
);

const app = await NestFactory.create(AppModule, { logger: ['error'] });
await app.listen(0, '127.0.0.1');
reportReady('sijax', app.getHttpServer());
