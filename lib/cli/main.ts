#!/usr/bin/env node
import { mkdirSync, writeFileSync } from 'fs';
import { dirname } from 'path';
import { generateCalls } from './generate-calls';

const USAGE = `Usage: nestjs-sijax types [--project tsconfig.json] [--out src/sijax-calls.ts] [--name AppCalls]
                          [--client nestjs-sijax/client]

Writes a declaration of the app's Sijax and Comet functions (names, arguments, results) for a
typed front end: createSijaxClient<AppCalls>() from 'nestjs-sijax/client'.`;

/** `nestjs-sijax types`: reads the handlers' sources with the project's own TypeScript. */
function main(argv: string[]): number {
  const [command, ...rest] = argv;
  if (command !== 'types') {
    console.error(USAGE);
    return command === '--help' || command === '-h' ? 0 : 1;
  }
  const option = (flag: string, fallback: string) => {
    const at = rest.indexOf(flag);
    return at >= 0 && rest[at + 1] ? rest[at + 1] : fallback;
  };
  let ts: typeof import('typescript');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    ts = require('typescript') as typeof import('typescript');
  } catch {
    console.error('nestjs-sijax types needs the typescript package (npm install -D typescript).');
    return 1;
  }
  const out = option('--out', 'src/sijax-calls.ts');
  const text = generateCalls(ts, {
    project: option('--project', 'tsconfig.json'),
    out,
    name: option('--name', 'AppCalls'),
    clientModule: option('--client', 'nestjs-sijax/client'),
  });

  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, text);
  console.log(`Wrote ${out}`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
