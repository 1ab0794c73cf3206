import {
  Logger,
  type INestApplication,
  type LoggerService,
  type ModuleMetadata,
  type NestApplicationOptions,
} from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test, type TestingModule } from '@nestjs/testing';

/** The HTTP platform of this jest project: the e2e suite runs once per platform. */
export const PLATFORM: 'express' | 'fastify' =
  (globalThis as { SIJAX_PLATFORM?: 'fastify' }).SIJAX_PLATFORM ?? 'express';

/**
 * An app on this project's platform; `forceCloseConnections` so `close()` never waits.
 * `trustProxy`: believe `X-Forwarded-*` (Express's `trust proxy`, Fastify's `trustProxy`).
 */
export function createTestApp(
  moduleRef: TestingModule,
  options: NestApplicationOptions = {},
  { trustProxy = false } = {},
): INestApplication {
  const settings = { forceCloseConnections: true, logger: false as const, ...options };
  if (PLATFORM === 'fastify') {
    const adapter = new FastifyAdapter({ trustProxy });
    return moduleRef.createNestApplication<NestFastifyApplication>(adapter, settings);
  }
  const app = moduleRef.createNestApplication<NestExpressApplication>(settings);
  if (trustProxy) app.set('trust proxy', true);
  return app;
}

/** Starts an app on a random port. */
export async function startApp(
  imports: ModuleMetadata['imports'],
  logger: LoggerService | false = false,
): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({ imports }).compile();
  const app = createTestApp(moduleRef, { logger });
  await app.listen(0, '127.0.0.1');
  return app;
}

/** Captures what the library logs, by level. */
export interface CapturedLog {
  level: string;
  message: string;
  /** Nest passes the logger's context last. */
  context?: string;
  /** Message, stack and context together. */
  text: string;
}

export function captureLogs(): { logs: CapturedLog[]; logger: LoggerService; restore: () => void } {
  const logs: CapturedLog[] = [];
  const record =
    (level: string) =>
    (message: unknown, ...rest: unknown[]) => {
      const context = rest.length ? String(rest[rest.length - 1]) : undefined;
      logs.push({ level, message: String(message), context, text: [message, ...rest].join('\n') });
    };
  const logger: LoggerService = {
    log: record('log'),
    error: record('error'),
    warn: record('warn'),
    debug: record('debug'),
    verbose: record('verbose'),
  };
  Logger.overrideLogger(logger);
  return { logs, logger, restore: () => Logger.overrideLogger(false) };
}
