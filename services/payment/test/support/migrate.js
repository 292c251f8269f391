// `prisma migrate deploy` for a test database URL, retried: Prisma takes a database-wide
// advisory lock for at most 10 s, and on a loaded machine another deploy on payment_test (a
// parallel test file, another suite) can hold it longer.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const ROOT = path.join(__dirname, '..', '..');
const PRISMA = path.join(ROOT, '..', '..', 'node_modules', '.bin', 'prisma');

function migrate(databaseUrl, attempts = 6) {
  for (let i = 1; ; i += 1) {
    try {
      execFileSync(PRISMA, ['migrate', 'deploy'], {
        cwd: ROOT,
        env: { ...process.env, DATABASE_URL: databaseUrl },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      return;
    } catch (err) {
      if (i >= attempts) {
        process.stderr.write(String(err.stderr || err.message));
        throw err;
      }
      execFileSync('sleep', [String(i)]);
    }
  }
}

module.exports = { migrate };
