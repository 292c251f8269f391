// Unit tests need nothing running; integration tests use the real PostgreSQL (cart_test, migrated
// once by the global setup) and Kafka, isolated per file by a unique topic prefix; inventory and
// order are tiny real gRPC servers on port 0 with in-memory data.
module.exports = require('../../jest.preset.js')(__dirname, {
  testTimeout: 60000,
  globalSetup: '<rootDir>/test/global-setup.js',
  // The generated Prisma client imports its siblings as "./x.js" (node16 resolution): map to .ts.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
});
