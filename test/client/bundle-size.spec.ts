import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { buildClient, CLIENT_BUNDLE } from '../utils/browser';

describe('client bundle', () => {
  beforeAll(() => buildClient());

  it('is at most 3 KB minified and gzipped', () => {
    const gzipped = gzipSync(readFileSync(CLIENT_BUNDLE), { level: 9 }).length;
    console.log(`dist/client/sijax.js: ${gzipped} bytes gzipped`);
    expect(gzipped).toBeLessThanOrEqual(3 * 1024);
  });

  it('has no runtime dependency: one self-contained file with no imports', () => {
    const source = readFileSync(CLIENT_BUNDLE, 'utf8');
    expect(source).not.toMatch(/\brequire\(|^\s*import\s/m);
    const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as { dependencies?: object };
    expect(manifest.dependencies ?? {}).toEqual({});
  });
});
