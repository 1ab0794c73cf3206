// (c) This library, built (`dist/lib`), on Nest 11 + Express with its default options: a Comet
// handler for the streams (an `async *` method; (c-sse) is the same one asked for an event stream),
// the same chunks from a plain `*` method for (c-sync), and a regular Sijax callback for (d). The
// same `async *` handler is registered a second time with `resumable: true` (`stream_res`, for
// (c-res)); its log is the default store, a `MemoryCallStore`, made here so that the runner can ask
// what it holds. With `--redis=<port>` (c-redis) the log is a `RedisCallStore` on the redis-server
// at that port instead: the same app otherwise.
// Plain JS has no decorator syntax, so the decorators are applied as functions.
import { createRequire } from 'node:module';
import { PLAIN_HTML, gate, itemHtml, reportReady, sleep, stampHtml } from './shared.mjs';

const require = createRequire(import.meta.url);
require('reflect-metadata');
const { Injectable, Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { CometCallback, MemoryCallStore, SijaxCallback, SijaxModule } = require('../../dist/lib');

const redisPort = process.argv.find((arg) => arg.startsWith('--redis='))?.slice(8);

/**
 * The reconnect figure's steps, one pair per call (the runner names it by its call id): the
 * handler waits on `<id>:more` and `<id>:finish`, whichever side comes first.
 */
const steps = new Map();
function step(name) {
  let entry = steps.get(name);
  if (!entry) {
    let open;
    const promise = new Promise((resolve) => (open = resolve));
    entry = { promise, open };
    steps.set(name, entry);
  }
  return entry;
}
async function stepDone(name) {
  await step(name).promise;
  steps.delete(name);
}

/**
 * The stream handler, as a factory: `stream` and `stream_res` get a function each (a decorator's
 * metadata sits on the function), made from this one source, so both run the same code.
 */
const streamHandler = () =>
  /** Same modes as the raw server: `response.html('#p', payload); yield;` per chunk. */
  async function* stream(response, mode, n, interval, tag = undefined) {
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
    } else if (mode === 'reconnect') {
      // `n` batches, then (the runner has cut the connection) `n` more, then the end.
      for (let i = 0; i < 2 * n; i++) {
        if (i === n) await stepDone(`${tag}:more`);
        response.html('#p', itemHtml(i, 2 * n));
        yield;
      }
      await stepDone(`${tag}:finish`);
    }
  };

class BenchHandlers {
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
BenchHandlers.prototype.stream = streamHandler();
BenchHandlers.prototype.streamResumable = streamHandler();

const method = (cls, name) => Object.getOwnPropertyDescriptor(cls.prototype, name);
const decorate = (decorator, name) =>
  Reflect.decorate([decorator], BenchHandlers.prototype, name, method(BenchHandlers, name));
decorate(CometCallback('stream'), 'stream');
decorate(CometCallback({ name: 'stream_res', resumable: true }), 'streamResumable');
decorate(CometCallback('stream_sync'), 'streamSync');
decorate(SijaxCallback('plain'), 'plain');
Reflect.decorate([Injectable()], BenchHandlers);

/** The resumable calls' log: in this process (the default store), or in the bench's redis-server. */
function callStore() {
  if (!redisPort) return new MemoryCallStore();
  const { Redis } = require('ioredis');
  const { RedisCallStore } = require('../../dist/lib/redis');
  return new RedisCallStore(new Redis(Number(redisPort), '127.0.0.1'));
}
const store = callStore();

class AppModule {}
Reflect.decorate(
  [Module({ imports: [SijaxModule.forRoot({ resume: { store } })], providers: [BenchHandlers] })],
  AppModule,
);

const app = await NestFactory.create(AppModule, { logger: ['error'] });
await app.listen(0, '127.0.0.1');

/** Resolves once the log of `callId` holds `offset` (its handler may run ahead of the store). */
async function logged({ callId, offset }) {
  for (let tries = 0; tries < 5_000; tries++) {
    const { entries } = await store.read(callId, 0);
    if ((entries.at(-1)?.offset ?? 0) >= offset) return undefined;
    await sleep(1);
  }
  throw new Error(`the log of ${callId} did not reach offset ${offset}`);
}

reportReady(redisPort ? 'sijax-redis' : 'sijax', app.getHttpServer(), {
  step: (name) => void step(name).open(),
  logged,
});
