// Unit tests need nothing running; integration tests use the real PostgreSQL (order_test, migrated
// once by the global setup) and Kafka, isolated per file by a unique topic prefix.
module.exports = require('../../jest.preset.js')(__dirname, {
  testTimeout: 60000,
  globalSetup: '<rootDir>/test/global-setup.js',
});
