// One file; the first test may install the validators (Go tools, schemas): a long timeout.
module.exports = require('../../jest.preset.js')(__dirname, { testTimeout: 20 * 60_000, maxWorkers: 1 });
