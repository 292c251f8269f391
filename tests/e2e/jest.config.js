// The services are started once per test file (they take a few seconds), so files run one
// at a time and each test has a generous timeout for saga round trips through Kafka.
//
// forceExit: every file stops its child services and disconnects its Kafka clients in
// afterAll, yet once in a full run (not reproducible with --detectOpenHandles, nor with any
// file alone) a kafkajs broker socket outlived disconnect() and kept Jest from exiting after
// all 99 tests had passed, which would hang `npm test` until its timeout. Results are
// unaffected: this only ends the process once the run is over.
module.exports = require('../../jest.preset.js')(__dirname, { testTimeout: 60_000, maxWorkers: 1, forceExit: true });
