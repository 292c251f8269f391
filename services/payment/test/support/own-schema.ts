// A test file that runs an outbox relay gets its own schema in payment_test: a relay publishes
// every unpublished row of its schema, so sharing one with other files (or with the end-to-end
// suite's payment service) would send their events to this file's topics and vice versa.
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { pgConfigFromUrl } from '@sudamall/shared';
import { TEST_DATABASE_URL } from './harness';
import { migrate } from './migrate';

export async function createOwnSchema(label = 'own'): Promise<{ databaseUrl: string; drop(): Promise<void> }> {
  // Named like the run schemas, so global-setup sweeps one a killed run left behind.
  const schema = `payment_run_${Date.now()}_${label}_${randomBytes(3).toString('hex')}`;
  const admin = new Client(pgConfigFromUrl(TEST_DATABASE_URL));
  await admin.connect();
  await admin.query(`CREATE SCHEMA "${schema}"`);
  await admin.end();
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set('schema', schema);
  const databaseUrl = url.toString();
  try {
    migrate(databaseUrl);
  } catch (err) {
    const c = new Client(pgConfigFromUrl(TEST_DATABASE_URL));
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await c.end();
    throw err;
  }
  return {
    databaseUrl,
    async drop() {
      const c = new Client(pgConfigFromUrl(TEST_DATABASE_URL));
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await c.end();
    },
  };
}
