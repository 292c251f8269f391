// Integration files isolate themselves (random ids, own Kafka topic prefix), so they may run in
// parallel against the one payment_test database; globalSetup applies the migrations first.
module.exports = require('../../jest.preset.js')(__dirname, {
  testTimeout: 60000,
  maxWorkers: 2,
  globalSetup: '<rootDir>/test/support/global-setup.js',
  // The generated Prisma client imports its siblings as "./x.js" (node16 resolution): map to .ts.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
});
