/** Unit specs (next to the code), e2e, client and browser specs; the e2e suite once more on Fastify. */
const base = {
  rootDir: '.',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testEnvironment: 'node',
};

module.exports = {
  testTimeout: 30000,
  projects: [
    {
      ...base,
      displayName: 'express',
      roots: ['<rootDir>/lib', '<rootDir>/test'],
      testRegex: '\\.(spec|e2e-spec)\\.ts$',
    },
    {
      ...base,
      displayName: 'fastify',
      roots: ['<rootDir>/test/e2e'],
      testRegex: '\\.e2e-spec\\.ts$',
      globals: { SIJAX_PLATFORM: 'fastify' },
    },
  ],
};
