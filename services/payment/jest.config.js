// Integration files isolate themselves (random ids, own Kafka topic prefix), so they may run in
// parallel; globalSetup migrates a fresh schema of payment_test for the run (dropped at the end).
module.exports = require('../../jest.preset.js')(__dirname, {
  testTimeout: 60000,
  maxWorkers: 2,
  globalSetup: '<rootDir>/test/support/global-setup.js',
  globalTeardown: '<rootDir>/test/support/global-teardown.js',
  // The generated Prisma client imports its siblings as "./x.js" (node16 resolution): map to .ts.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
});
