module.exports = require('../../jest.preset.js')(__dirname, {
  globalSetup: '<rootDir>/test/global-setup.js',
  // Integration tests share one database and Redis: a few workers are plenty on 2 cores.
  maxWorkers: 2,
  testTimeout: 60_000,
});
