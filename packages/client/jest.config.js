// The client against a real local HTTP server (port 0): routing per service, the bearer token,
// headers, and error answers as ErrorBody / ApiError.
module.exports = require('../../jest.preset.js')(__dirname);
