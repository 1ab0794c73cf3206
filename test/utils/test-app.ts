import { Logger, type INestApplication, type ModuleMetadata } from '@nestjs/common';
import { Test } from '@nestjs/testing';

/** Starts an app on a random port; `forceCloseConnections` so `close()` never waits for streams. */
export async function startApp(
  imports: ModuleMetadata['imports'],
  logger: false | undefined = false,
): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({ imports }).compile();
  const app = moduleRef.createNestApplication({ forceCloseConnections: true, logger });
  await app.listen(0, '127.0.0.1');
  return app;
}

/** Captures what the library logs, by level. */
export function captureLogs(): { logs: { level: string; message: string; context?: string }[]; restore: () => void } {
  const logs: { level: string; message: string; context?: string }[] = [];
  const record = (level: string) => (message: unknown, ...rest: unknown[]) => {
    const context = rest.length ? String(rest[rest.length - 1]) : undefined;
    logs.push({ level, message: String(message), context });
  };
  Logger.overrideLogger({
    log: record('log'),
    error: record('error'),
    warn: record('warn'),
    debug: record('debug'),
    verbose: record('verbose'),
  });
  return { logs, restore: () => Logger.overrideLogger(false) };
}
