// Integration tests share one Kafka broker and one PostgreSQL server with the other packages;
// they isolate themselves by topic prefix and schema, so files may run in parallel.
module.exports = require('../../jest.preset.js')(__dirname, { testTimeout: 60000 });
