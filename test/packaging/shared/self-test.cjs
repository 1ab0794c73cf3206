// The testing kit (`nestjs-sijax/testing`) from the tarball, as a user's test would use it: an
// app only initialised (not listening), a regular call, a Comet call batch by batch. Each fixture
// passes in what it loaded itself; the result is printed as one JSON line.
'use strict';

module.exports = async function selfTest({ NestFactory, AppModule, SijaxTestClient }) {
  const app = await NestFactory.create(AppModule, { logger: false });
  await app.init();
  const listening = app.getHttpServer().listening;
  const sijax = await SijaxTestClient.create(app);
  try {
    const hello = await sijax.call('hello', ['Ann']);
    const batches = [];
    for await (const batch of sijax.comet('quick', [2])) batches.push(batch);
    return { listening, hello, batches };
  } finally {
    await sijax.close();
    await app.close();
  }
};
