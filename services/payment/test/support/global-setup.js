// Applies the committed migrations to the test database before any test file runs.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

module.exports = async function globalSetup() {
  const url = process.env.DATABASE_URL_PAYMENT_TEST || process.env.PAYMENT_TEST_DATABASE_URL || 'postgresql://sudamall:sudamall@127.0.0.1:5432/payment_test';
  process.env.DATABASE_URL = url;
  const root = path.join(__dirname, '..', '..');
  execFileSync(path.join(root, '..', '..', 'node_modules', '.bin', 'prisma'), ['migrate', 'deploy'], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: url },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
};
