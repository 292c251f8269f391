// Applies the service's migrations to its test database once per run (`prisma migrate deploy`
// is idempotent), so integration tests start from the committed schema.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

module.exports = async function globalSetup() {
  process.env.DATABASE_URL ??= 'postgresql://sudamall:sudamall@127.0.0.1:5432/cart_test';
  // Unit-only runs (`jest test/unit`) do not need a database.
  if (process.argv.some((a) => a.includes('test/unit')) && !process.argv.some((a) => a.includes('integration'))) return;
  const root = path.join(__dirname, '..');
  execFileSync(process.execPath, [require.resolve('prisma/build/index.js'), 'migrate', 'deploy'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: process.env,
  });
};
