// Runs ../shared/self-test.cjs with nestjs-sijax/testing as CommonJS resolves it.
'use strict';
require('reflect-metadata');
const nest = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const sijax = require('nestjs-sijax');
const { SijaxTestClient } = require('nestjs-sijax/testing');
const defineAppModule = require('../shared/app-module.cjs');
const selfTest = require('../shared/self-test.cjs');

const AppModule = defineAppModule({ nest, sijax, describe: () => ({}) });
selfTest({ NestFactory, AppModule, SijaxTestClient }).then(
  (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
