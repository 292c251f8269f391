// One scenario file at a time (each starts its own platform and injects faults into it), with
// timeouts sized for restarts and settling. Not part of `npm test`: run it with `npm run chaos`.
module.exports = require('../jest.preset.js')(__dirname, {
  testMatch: ['<rootDir>/scenarios/**/*.chaos.ts'],
  maxWorkers: 1,
  testTimeout: 600_000,
  verbose: true,
});
