// One schema of payment_test per test run, migrated with the committed migrations: the run
// sees no rows of earlier runs, and no other suite on payment_test (the end-to-end suite's
// payment service, say) can publish or consume this run's outbox rows. Test files read the URL
// from DATABASE_URL_PAYMENT_TEST; global-teardown.js drops the schema.
const { randomBytes } = require('node:crypto');
const { Client } = require('pg');
const { migrate } = require('./migrate');

const BASE_URL = process.env.DATABASE_URL_PAYMENT_TEST || 'postgresql://sudamall:sudamall@127.0.0.1:5432/payment_test';
const STALE_MS = 6 * 60 * 60 * 1000;

module.exports = async function globalSetup() {
  const base = new URL(BASE_URL);
  base.searchParams.delete('schema');
  const stamp = Date.now();
  const schema = `payment_run_${stamp}_${randomBytes(3).toString('hex')}`;
  const admin = new Client({ connectionString: base.toString() });
  await admin.connect();
  try {
    // Schemas left by runs that were killed before their teardown.
    const { rows } = await admin.query("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'payment\\_run\\_%'");
    for (const { nspname } of rows) {
      const m = /^payment_run_(\d+)_/.exec(nspname);
      if (m && stamp - Number(m[1]) > STALE_MS) await admin.query(`DROP SCHEMA IF EXISTS "${nspname}" CASCADE`);
    }
    await admin.query(`CREATE SCHEMA "${schema}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(base.toString());
  url.searchParams.set('schema', schema);
  migrate(url.toString());
  process.env.DATABASE_URL_PAYMENT_TEST = url.toString();
  process.env.PAYMENT_TEST_RUN_SCHEMA = schema;
};
