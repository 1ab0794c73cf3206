import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  FIELD_AFTER,
  FIELD_ATTACH,
  FIELD_CANCEL,
  LAST_EVENT_ID_HEADER,
  RESUMABLE_HEADER,
} from '../../lib/protocol/wire-names';
import { buildClient, CLIENT_BUILDS } from '../utils/browser';

const gzipped = (file: string) => gzipSync(buildClient(file), { level: 9 }).length;

// What only resumable calls and only uploads put on the wire: absent from builds without them.
const RESUME_NAMES = [
  FIELD_AFTER,
  FIELD_ATTACH,
  FIELD_CANCEL,
  LAST_EVENT_ID_HEADER,
  RESUMABLE_HEADER,
];
const UPLOAD_NAMES = ['upload-progress', 'data-sijax-upload', 'sjxUpload'];

describe('client bundle', () => {
  beforeAll(() => buildClient());

  // The smallest build is what an app without resumable or upload handlers serves: both
  // transports, every command, form values, CSRF, events, selector warnings.
  it('is at most 3.5 KB gzipped with both transports (builds/core.js)', () => {
    const sizes = CLIENT_BUILDS.map(({ file }) => `  ${file}: ${gzipped(file)} B`);
    console.log(`client builds, minified and gzipped:\n${sizes.join('\n')}`);
    expect(gzipped('builds/core.js')).toBeLessThanOrEqual(3500);
  });

  // Resumable calls (reconnect, attach, cancel, the watchdog) add about 0.45 KB; uploads (XHR
  // with progress, `data-sijax-upload` forms, `sjxUpload.resetForm`) about 0.4 KB.
  it('is at most 4.5 KB gzipped with everything (sijax.js), the one-feature builds in between', () => {
    const full = gzipped('sijax.js');
    expect(full).toBeLessThanOrEqual(4500);
    for (const build of ['builds/core-resume.js', 'builds/core-upload.js'] as const) {
      expect(gzipped(build)).toBeGreaterThan(gzipped('builds/core.js'));
      expect(gzipped(build)).toBeLessThan(full);
    }
  });

  it.each(CLIENT_BUILDS)(
    '$file holds resumable calls and uploads only if it has them',
    ({ file, resume, upload }) => {
      const source = buildClient(file);
      for (const name of RESUME_NAMES)
        expect([name, source.includes(name)]).toEqual([name, resume]);
      for (const name of UPLOAD_NAMES)
        expect([name, source.includes(name)]).toEqual([name, upload]);
    },
  );

  it('has no runtime dependency: one self-contained file, built from relative imports only', () => {
    for (const { file } of CLIENT_BUILDS) {
      expect(buildClient(file)).not.toMatch(/\brequire\(|^\s*import\s/m);
    }
    // The package's dependencies (a multipart parser) are the server's; the client takes none.
    for (const file of readdirSync('client').filter((name) => name.endsWith('.ts'))) {
      const imports = readFileSync(join('client', file), 'utf8').matchAll(/from '([^']+)'/g);
      for (const [, specifier] of imports) expect(specifier).toMatch(/^\.\.?\//);
    }
  });
});
