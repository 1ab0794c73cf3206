// The app both packaging fixtures run. Each fixture passes in the modules it loaded itself
// (`require` in the CommonJS app, `import` in the ES module app), so that what is tested is how
// each module system resolves and loads nestjs-sijax; this file loads nothing. Plain JavaScript,
// so the decorators are applied as functions.
'use strict';

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

/**
 * The app module: a `@CometHandler()` whose `count` is held after each chunk, a `@SijaxCallback`,
 * and a side door for the test. `describe()` adds what the fixture knows about its own install.
 */
module.exports = function defineAppModule({ nest, sijax, describe }) {
  const { Controller, Get, HttpCode, Injectable, Module, Post } = nest;
  const { CometHandler, SijaxCallback, SijaxModule } = sijax;
  const gate = new Gate();

  class Counter {
    async *count(response, n) {
      for (let step = 1; step <= n; step++) {
        response.html('#count', `${step} of ${n}`);
        yield; // sends this step's chunk
        await gate.wait(step); // held until the test has seen chunk `step`
      }
      gate.finished = true;
    }

    /** Not held: for the testing kit's run in `self-test`. */
    async *quick(response, n) {
      for (let step = 1; step <= n; step++) {
        response.html('#quick', `${step} of ${n}`);
        yield;
      }
      return n;
    }
  }
  CometHandler()(Counter);

  class Greeter {
    hello(response, name) {
      response.alert(`Hello ${name}`);
    }
  }
  Injectable()(Greeter);
  decorateMethod(Greeter, 'hello', SijaxCallback('hello'));

  class GateController {
    release() {
      return gate.release();
    }

    state() {
      return { released: gate.released, finished: gate.finished, ...describe() };
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
  return AppModule;
};
