// The services are started once per test file (they take a few seconds), so files run one
// at a time and each test has a generous timeout for saga round trips through Kafka.
// (A handle left open after the run is ended by scripts/lib/jest-results-processor.js.)
module.exports = require('../../jest.preset.js')(__dirname, { testTimeout: 60_000, maxWorkers: 1 });
