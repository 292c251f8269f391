// Drops the run's schema (see global-setup.js).
const { Client } = require('pg');

module.exports = async function globalTeardown() {
  const schema = process.env.PAYMENT_TEST_RUN_SCHEMA;
  if (!schema) return;
  const base = new URL(process.env.DATABASE_URL_PAYMENT_TEST);
  base.searchParams.delete('schema');
  const admin = new Client({ connectionString: base.toString() });
  await admin.connect();
  try {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await admin.end();
  }
};
