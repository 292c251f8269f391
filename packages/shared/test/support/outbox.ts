import { Client } from 'pg';
import { pgConfigFromUrl } from '../../src/db/pg-config';
import { TEST_DATABASE_URL } from './env';

/**
 * The outbox table as every service's first migration makes it (services/<name>/prisma/migrations),
 * for tests that run the relay or read the outbox in a scratch schema of their own.
 */
export const OUTBOX_TABLE_SQL = `
  CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    event_id UUID NOT NULL,
    topic TEXT NOT NULL,
    key TEXT NOT NULL,
    type TEXT NOT NULL,
    payload JSONB NOT NULL,
    created_at TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    published_at TIMESTAMPTZ(3)
  );
  CREATE INDEX outbox_published_at_id_idx ON outbox (published_at, id);
`;

/**
 * A scratch schema of the test file's own holding an empty outbox, and a client connected in it
 * (its search_path is the schema); the file drops the schema when done.
 */
export async function scratchOutboxSchema(schema: string): Promise<Client> {
  const admin = new Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const db = new Client(pgConfigFromUrl(`${TEST_DATABASE_URL}?schema=${schema}`));
  await db.connect();
  await db.query(OUTBOX_TABLE_SQL);
  return db;
}
