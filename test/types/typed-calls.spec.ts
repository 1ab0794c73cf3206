import { readFileSync } from 'fs';
import { join } from 'path';
import * as ts from 'typescript';
import { generateCalls } from '../../lib/cli/generate-calls';

const DIR = __dirname;
const GENERATED = join(DIR, 'app-calls.ts');

/** The declaration `nestjs-sijax types` writes for the fixture handlers. */
function generate(): string {
  return generateCalls(ts, {
    project: join(DIR, 'fixtures', 'tsconfig.json'),
    out: GENERATED,
    clientModule: '../../client/index',
  });
}

describe('typed calls', () => {
  it('generates the declaration of every call, renamed callbacks included (app-calls.ts is current)', () => {
    const text = generate();
    expect(text).toContain(`say_hello: SijaxCallOf<Greeter['hello'], 'sijax'>;`);
    expect(text).toContain(`count_down: SijaxCallOf<Greeter['countDown'], 'comet'>;`);
    expect(text).toContain(`run: SijaxCallOf<ProgressHandler['run'], 'comet'>;`);
    expect(text).not.toContain('_secret');
    // The committed declaration is what the generator writes: it cannot drift from the handlers.
    expect(readFileSync(GENERATED, 'utf8')).toBe(text);
  });

  it('type-checks right calls and refuses wrong ones (each @ts-expect-error line is an error)', () => {
    const config = ts.readConfigFile(join(DIR, 'tsconfig.json'), (file) => ts.sys.readFile(file));
    const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, DIR);
    const program = ts.createProgram(parsed.fileNames, parsed.options);
    const diagnostics = ts.getPreEmitDiagnostics(program).map((diagnostic) => {
      const where = diagnostic.file
        ? `${diagnostic.file.fileName}:${diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line + 1}`
        : '';
      return `${where} ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
    });
    expect(diagnostics).toEqual([]);
    // Without the expectations, the wrong calls are errors indeed: as many as there are marks.
    const usage = readFileSync(join(DIR, 'usage.ts'), 'utf8');
    const marks = usage.split('\n').filter((line) => /^\s*\/\/ @ts-expect-error/.test(line)).length;
    const unmarked = usage.replace(/\/\/ @ts-expect-error[^\n]*/g, '//');
    const host = ts.createCompilerHost(parsed.options);
    const read = host.readFile.bind(host);
    host.readFile = (file) => (file.endsWith('usage.ts') ? unmarked : read(file));
    const errors = ts.getPreEmitDiagnostics(
      ts.createProgram(parsed.fileNames, parsed.options, host),
    );
    expect(errors.length).toBe(marks);
  });

  it('refuses two functions with one name, as the app start does', () => {
    const ts2 = ts;
    const source = ts2.createSourceFile(
      'dup.ts',
      '@SijaxHandler() export class A { save() {} }\n@CometHandler() export class B { save() {} }',
      ts2.ScriptTarget.Latest,
    );
    const { scanCalls } = jest.requireActual<typeof import('../../lib/cli/call-scanner')>(
      '../../lib/cli/call-scanner',
    );
    expect(scanCalls(ts2, source).map((call) => `${call.className}#${call.methodName}`)).toEqual([
      'A#save',
      'B#save',
    ]);
  });
});
