// Runs ../shared/self-test.cjs with nestjs-sijax/testing as an ES module imports it.
import 'reflect-metadata';
import * as nest from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CometHandler, SijaxCallback, SijaxModule } from 'nestjs-sijax';
import { SijaxTestClient } from 'nestjs-sijax/testing';
import defineAppModule from '../shared/app-module.cjs';
import selfTest from '../shared/self-test.cjs';

const AppModule = defineAppModule({
  nest,
  sijax: { CometHandler, SijaxCallback, SijaxModule },
  describe: () => ({}),
});
const result = await selfTest({ NestFactory, AppModule, SijaxTestClient });
process.stdout.write(`${JSON.stringify(result)}\n`);
