import { Injectable, type INestApplication, type Type } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import {
  CometCallback,
  CometResponse,
  SijaxCallback,
  SijaxModule,
  SijaxResponse,
  UploadCallback,
  UploadResponse,
} from '../../lib';
import { buildClient } from '../utils/browser';
import { startApp } from '../utils/test-app';

@Injectable()
class Plain {
  @SijaxCallback('hello')
  hello(response: SijaxResponse) {
    response.alert('hi');
  }

  @CometCallback('progress')
  *progress(response: CometResponse) {
    response.html('#x', '1');
    yield;
  }
}

@Injectable()
class Resumable {
  @CometCallback({ name: 'resumable_task', resumable: true })
  *task(response: CometResponse) {
    response.html('#x', '1');
    yield;
  }
}

@Injectable()
class Upload {
  @UploadCallback('photos')
  photos(response: UploadResponse) {
    response.alert('got them');
  }
}

const built = (file: string) => readFileSync(join(__dirname, '..', '..', 'dist', 'client', file));

// Which build each app gets: both transports always; resumable calls and uploads when some
// handler needs them (the page could not use them otherwise).
const apps: [string, Type[], string][] = [
  ['regular and Comet handlers only', [Plain], 'builds/core.js'],
  ['a resumable handler', [Plain, Resumable], 'builds/core-resume.js'],
  ['an upload callback', [Plain, Upload], 'builds/core-upload.js'],
  ['both', [Plain, Resumable, Upload], 'sijax.js'],
];

describe.each(apps)('the client served to an app with %s', (_, handlers, file) => {
  let app: INestApplication;

  beforeAll(async () => {
    buildClient();
    app = await startApp([
      SijaxModule.forRoot({ clientWarnings: false }),
      { module: class HandlersModule {}, providers: handlers },
    ]);
  });

  afterAll(() => app.close());

  it(`is ${file}, with its own ETag`, async () => {
    const res = await request(app.getHttpServer()).get('/sijax/sijax.js').expect(200);
    expect(Buffer.from(res.text)).toEqual(built(file));
    const others = apps.filter(([, , other]) => other !== file).map(([, , other]) => built(other));
    for (const other of others) expect(other.equals(built(file))).toBe(false);
    await request(app.getHttpServer())
      .get('/sijax/sijax.js')
      .set('If-None-Match', String(res.headers.etag))
      .expect(304);
  });
});
