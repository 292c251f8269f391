// Shared Jest settings: every workspace transforms TypeScript with SWC (no type-check at test
// time; `turbo run typecheck` does that) and writes a JSON report the root test script sums up.
const path = require('node:path');

module.exports = function preset(dir, overrides = {}) {
  return {
    rootDir: dir,
    testEnvironment: 'node',
    transform: {
      '^.+\\.(t|j)s$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript', decorators: false }, target: 'es2022' }, module: { type: 'commonjs' } }],
    },
    moduleFileExtensions: ['ts', 'js', 'json'],
    testMatch: ['<rootDir>/test/**/*.test.ts'],
    testPathIgnorePatterns: ['/node_modules/', '/dist/'],
    // fastify's inject (light-my-request) requires cookie@2, which is ESM only: let SWC compile it.
    transformIgnorePatterns: ['/node_modules/(?!(cookie)/)'],
    testResultsProcessor: path.join(__dirname, 'scripts/lib/jest-results-processor.js'),
    ...overrides,
  };
};
