// Applies the service's migrations to its test database once per run (`prisma migrate deploy`
// is idempotent), so the committed migrations are checked by the real deploy path; each
// integration file then copies them into a schema of its own (test/fixtures/harness.ts).
const { execFileSync } = require('node:child_process');
const path = require('node:path');

module.exports = async function globalSetup() {
  process.env.DATABASE_URL ??= 'postgresql://sudamall:sudamall@127.0.0.1:5432/order_test';
  // Unit-only runs (`jest test/unit`) do not need a database.
  if (process.argv.some((a) => a.includes('test/unit')) && !process.argv.some((a) => a.includes('integration'))) return;
  execFileSync('npx', ['--no-install', 'prisma', 'migrate', 'deploy'], {
    cwd: path.join(__dirname, '..'),
    stdio: ['ignore', 'ignore', 'inherit'],
    env: process.env,
  });
};
