import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { createHash } from 'crypto';
import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import { SijaxRegistry } from '../core/sijax.registry';
import { CLIENT_FILE_NAME } from '../protocol/wire-names';
import { SijaxError } from '../errors/sijax.error';
import { SijaxOptions } from '../sijax-options';
import { CLIENT_BUNDLE_MISSING } from '../sijax.messages';

/** Turns the served client's selector warnings on (`Sijax.configure({ warnings })` can too). */
const WARNINGS_ON = Buffer.from('self.SIJAX_WARNINGS=true;\n');

/**
 * The builds client/build.mjs makes, by what they hold beyond both transports: `sijax.js` has
 * everything (the package export, for CDNs), the others leave out resumable calls or uploads.
 */
export function clientBuildFile(resume: boolean, upload: boolean): string {
  if (resume && upload) return CLIENT_FILE_NAME;
  return join('builds', resume ? 'core-resume.js' : upload ? 'core-upload.js' : 'core.js');
}

/**
 * The bundled browser client, read once at start-up and served with an ETag: the smallest build
 * the app's handlers need (a page of an app without resumable or upload handlers loads about a
 * quarter less). Outside production (`clientWarnings`) it warns in the console about selectors
 * that match nothing.
 */
@Injectable()
export class SijaxClientAsset implements OnApplicationBootstrap {
  body!: Buffer;
  etag!: string;

  constructor(
    private readonly options: SijaxOptions,
    private readonly registry: SijaxRegistry,
  ) {}

  // After every module's init: the explorer has registered all handlers by then.
  onApplicationBootstrap(): void {
    const handlers = this.registry.getAll();
    const file = clientBuildFile(
      handlers.some((handler) => handler.resumable),
      handlers.some((handler) => handler.upload !== undefined),
    );
    // Published: dist/lib/http -> dist/client. From source (tests): lib/http -> dist/client.
    const candidates = [
      join(__dirname, '..', '..', 'client', file),
      join(__dirname, '..', '..', 'dist', 'client', file),
    ];
    const found = candidates.find((candidate) => existsSync(candidate));
    if (!found) throw new SijaxError(CLIENT_BUNDLE_MISSING(candidates[0]));
    const bundle = readFileSync(found);
    this.body = this.options.clientWarnings ? Buffer.concat([WARNINGS_ON, bundle]) : bundle;
    this.etag = `"${createHash('sha256').update(this.body).digest('base64url').slice(0, 27)}"`;
  }
}
