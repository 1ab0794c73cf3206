// An ES module app on Nest 12 (ESM-only) that imports nestjs-sijax (CommonJS) as installed from the
// packed tarball. Plain JavaScript, so the decorators are applied as functions.
// ../packaging.e2e-spec.ts starts it, reads `PORT=<n>` from stdout and closes stdin to stop it.
import 'reflect-metadata';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Controller, Get, HttpCode, Injectable, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CometHandler, SijaxCallback, SijaxModule } from 'nestjs-sijax';

/** What `@decorator` above a method does, by hand. */
function decorateMethod(cls, key, ...decorators) {
  for (const decorator of decorators.reverse()) {
    const descriptor = Object.getOwnPropertyDescriptor(cls.prototype, key);
    Object.defineProperty(
      cls.prototype,
      key,
      decorator(cls.prototype, key, descriptor) ?? descriptor,
    );
  }
}

const resolvePath = (specifier) => fileURLToPath(import.meta.resolve(specifier));

/** The installed package as an ESM consumer sees it: the browser client and its types. */
function installedPackage() {
  const root = dirname(resolvePath('nestjs-sijax/package.json'));
  const files = ['dist/client/sijax.esm.js', 'dist/client/index.d.ts', 'dist/lib/index.d.ts'];
  const missing = files.filter((file) => !existsSync(join(root, file)));
  if (missing.length) throw new Error(`nestjs-sijax in ${root} lacks ${missing.join(', ')}`);
  return {
    root,
    main: resolvePath('nestjs-sijax'),
    client: resolvePath('nestjs-sijax/client'),
    version: JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version,
  };
}
const sijaxPackage = installedPackage();

/** Holds the Comet handler after each step until the test releases it (`POST /release`). */
class Gate {
  released = 0;
  finished = false;
  #waiters = [];

  wait(step) {
    if (this.released >= step) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ step, resolve }));
  }

  release() {
    this.released++;
    const ready = this.#waiters.filter(({ step }) => step <= this.released);
    this.#waiters = this.#waiters.filter(({ step }) => step > this.released);
    ready.forEach(({ resolve }) => resolve());
    return { released: this.released, finished: this.finished };
  }
}
const gate = new Gate();

/** `@CometHandler()`: every public method is a Comet function. */
class Counter {
  async *count(response, n) {
    for (let step = 1; step <= n; step++) {
      response.html('#count', `${step} of ${n}`);
      yield; // sends this step's chunk
      await gate.wait(step); // held until the test has seen chunk `step`
    }
    gate.finished = true;
  }
}
CometHandler()(Counter);

/** `@Injectable()` with one `@SijaxCallback('hello')`. */
class Greeter {
  hello(response, name) {
    response.alert(`Hello ${name}`);
  }
}
Injectable()(Greeter);
decorateMethod(Greeter, 'hello', SijaxCallback('hello'));

/** The test's side door: releases the Comet handler's next step and reports what ran. */
class GateController {
  release() {
    return gate.release();
  }

  state() {
    return {
      released: gate.released,
      finished: gate.finished,
      nest: JSON.parse(readFileSync(resolvePath('@nestjs/core/package.json'), 'utf8')).version,
      sijax: sijaxPackage.main,
      package: sijaxPackage,
    };
  }
}
Controller()(GateController);
decorateMethod(GateController, 'release', Post('release'), HttpCode(200));
decorateMethod(GateController, 'state', Get('state'));

class AppModule {}
Module({
  imports: [SijaxModule.forRoot()],
  controllers: [GateController],
  providers: [Counter, Greeter],
})(AppModule);

const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
await app.listen(0, '127.0.0.1');
process.stdout.write(`PORT=${app.getHttpServer().address().port}\n`);
// The test owns this process: it ends when the test closes stdin, or dies.
process.stdin.on('end', () => process.exit(0)).resume();
