import { Injectable, type OnModuleInit } from '@nestjs/common';
import { createHash } from 'crypto';
import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import { CLIENT_FILE_NAME } from '../protocol/wire-names';
import { SijaxError } from '../errors/sijax.error';
import { SijaxOptions } from '../sijax-options';
import { CLIENT_BUNDLE_MISSING } from '../sijax.messages';

/** Turns the served client's selector warnings on (`Sijax.configure({ warnings })` can too). */
const WARNINGS_ON = Buffer.from('self.SIJAX_WARNINGS=true;\n');

/**
 * The bundled browser client, read once at start-up and served with an ETag; outside production
 * (`clientWarnings`) it warns in the console about selectors that match nothing.
 */
@Injectable()
export class SijaxClientAsset implements OnModuleInit {
  body!: Buffer;
  etag!: string;

  constructor(private readonly options: SijaxOptions) {}

  onModuleInit(): void {
    // Published: dist/lib/http -> dist/client. From source (tests): lib/http -> dist/client.
    const candidates = [
      join(__dirname, '..', '..', 'client', CLIENT_FILE_NAME),
      join(__dirname, '..', '..', 'dist', 'client', CLIENT_FILE_NAME),
    ];
    const file = candidates.find((candidate) => existsSync(candidate));
    if (!file) throw new SijaxError(CLIENT_BUNDLE_MISSING(candidates[0]));
    const bundle = readFileSync(file);
    this.body = this.options.clientWarnings ? Buffer.concat([WARNINGS_ON, bundle]) : bundle;
    this.etag = `"${createHash('sha256').update(this.body).digest('base64url').slice(0, 27)}"`;
  }
}
