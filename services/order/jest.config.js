// Unit tests need nothing running; integration tests use the real PostgreSQL (order_test, migrated
// by the global setup; each file then works in a schema of its own) and Kafka, each file under
// its own topic prefix, so files run in parallel.
module.exports = require('../../jest.preset.js')(__dirname, {
  testTimeout: 60000,
  globalSetup: '<rootDir>/test/global-setup.js',
});
