import { Injectable, type OnModuleInit } from '@nestjs/common';
import { createHash } from 'crypto';
import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import { CLIENT_FILE_NAME } from '../protocol/wire-names';
import { SijaxError } from '../errors/sijax.error';
import { CLIENT_BUNDLE_MISSING } from '../sijax.messages';

/** The bundled browser client, read once at start-up and served with an ETag. */
@Injectable()
export class SijaxClientAsset implements OnModuleInit {
  body!: Buffer;
  etag!: string;

  onModuleInit(): void {
    // Published: dist/lib/http -> dist/client. From source (tests): lib/http -> dist/client.
    const candidates = [
      join(__dirname, '..', '..', 'client', CLIENT_FILE_NAME),
      join(__dirname, '..', '..', 'dist', 'client', CLIENT_FILE_NAME),
    ];
    const file = candidates.find((candidate) => existsSync(candidate));
    if (!file) throw new SijaxError(CLIENT_BUNDLE_MISSING(candidates[0]));
    this.body = readFileSync(file);
    this.etag = `"${createHash('sha256').update(this.body).digest('base64url').slice(0, 27)}"`;
  }
}
