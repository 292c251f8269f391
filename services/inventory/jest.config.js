module.exports = require('../../jest.preset.js')(__dirname, {
  globalSetup: '<rootDir>/test/global-setup.js',
  // The generated Prisma client imports its own .ts files with ".js" extensions (node16 style).
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  // Integration tests share one database and Redis: a few workers are plenty on 2 cores.
  maxWorkers: 2,
  testTimeout: 60_000,
});
