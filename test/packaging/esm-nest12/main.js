// An ES module app on Nest 12 (ESM-only) that imports nestjs-sijax (CommonJS) as installed from the
// packed tarball.
// ../packaging.e2e-spec.ts starts it, reads `PORT=<n>` from stdout and closes stdin to stop it.
import 'reflect-metadata';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as nest from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
// Named imports from a CommonJS package: part of what this fixture proves.
import { CometHandler, SijaxCallback, SijaxModule } from 'nestjs-sijax';
import defineAppModule from '../shared/app-module.cjs';

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

const AppModule = defineAppModule({
  nest,
  sijax: { CometHandler, SijaxCallback, SijaxModule },
  describe: () => ({
    nest: JSON.parse(readFileSync(resolvePath('@nestjs/core/package.json'), 'utf8')).version,
    sijax: sijaxPackage.main,
    package: sijaxPackage,
  }),
});

const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
await app.listen(0, '127.0.0.1');
process.stdout.write(`PORT=${app.getHttpServer().address().port}\n`);
// The test owns this process: it ends when the test closes stdin, or dies.
process.stdin.on('end', () => process.exit(0)).resume();
