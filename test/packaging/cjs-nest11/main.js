// A CommonJS app on Nest 11 that uses nestjs-sijax as installed from the packed tarball.
// ../packaging.e2e-spec.ts starts it, reads `PORT=<n>` from stdout and closes stdin to stop it.
'use strict';
require('reflect-metadata');
const nest = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const sijax = require('nestjs-sijax');
const defineAppModule = require('../shared/app-module.cjs');

const AppModule = defineAppModule({
  nest,
  sijax,
  describe: () => ({
    nest: require('@nestjs/core/package.json').version,
    sijax: require.resolve('nestjs-sijax'),
  }),
});

async function main() {
  const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
  await app.listen(0, '127.0.0.1');
  process.stdout.write(`PORT=${app.getHttpServer().address().port}\n`);
  // The test owns this process: it ends when the test closes stdin, or dies.
  process.stdin.on('end', () => process.exit(0)).resume();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
