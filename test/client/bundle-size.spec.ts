import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildClient, CLIENT_BUNDLE } from '../utils/browser';

describe('client bundle', () => {
  beforeAll(() => buildClient());

  // Both transports took 3.4 KB; resumable calls (reconnect, attach, the watchdog) add 0.7 KB;
  // uploads (XHR with progress, `data-sijax-upload` forms, `sjxUpload.resetForm`) 0.45 KB;
  // selector warnings 0.1 KB. The typed client is in the ESM entry only.
  it('is at most 5 KB minified and gzipped, with both transports, resumable calls and uploads', () => {
    const gzipped = gzipSync(readFileSync(CLIENT_BUNDLE), { level: 9 }).length;
    console.log(`dist/client/sijax.js: ${gzipped} bytes gzipped`);
    expect(gzipped).toBeLessThanOrEqual(5 * 1024);
  });

  it('has no runtime dependency: one self-contained file, built from relative imports only', () => {
    const source = readFileSync(CLIENT_BUNDLE, 'utf8');
    expect(source).not.toMatch(/\brequire\(|^\s*import\s/m);
    // The package's dependencies (a multipart parser) are the server's; the client takes none.
    for (const file of readdirSync('client').filter((name) => name.endsWith('.ts'))) {
      const imports = readFileSync(join('client', file), 'utf8').matchAll(/from '([^']+)'/g);
      for (const [, specifier] of imports) expect(specifier).toMatch(/^\.\.?\//);
    }
  });
});
