// Applies the service's migrations to its own test database before any test file runs, so
// `npm test` never touches the demo's `inventory` database.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

module.exports = async function globalSetup() {
  process.env.DATABASE_URL ??= 'postgresql://sudamall:sudamall@127.0.0.1:5432/inventory_test';
  execFileSync(require.resolve('prisma/build/index.js'), ['migrate', 'deploy'], {
    cwd: path.join(__dirname, '..'),
    env: process.env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
};
