// Integration files isolate themselves (random ids, own Kafka topic prefix), so they may run in
// parallel against the one payment_test database; globalSetup applies the migrations first.
module.exports = require('../../jest.preset.js')(__dirname, {
  testTimeout: 60000,
  globalSetup: '<rootDir>/test/support/global-setup.js',
});
