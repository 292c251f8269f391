// The services are started once per test file (they take a few seconds), so files run one
// at a time and each test has a generous timeout for saga round trips through Kafka.
//
// workerIdleMemoryLimit makes Jest run the files in a worker process even with one worker
// (otherwise maxWorkers: 1 runs them inside Jest's own process). Every file stops its child
// services and disconnects its Kafka clients in afterAll, yet in some full runs a kafkajs
// broker socket outlived disconnect() and kept the in-band process alive after every test had
// passed (not reproducible with --detectOpenHandles, nor with any file alone; forceExit did
// not end it either). A worker is shut down by Jest at the end of the run whatever it holds.
module.exports = require('../../jest.preset.js')(__dirname, {
  testTimeout: 60_000,
  maxWorkers: 1,
  workerIdleMemoryLimit: '1536MB',
});
