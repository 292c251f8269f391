import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { pgConfigFromUrl } from '../../src/db/pg-config';
import { INBOX_CLAIM_SQL } from '../../src/messaging/inbox';
import { inboxRetentionJob, type InboxRetentionOptions } from '../../src/service/inbox-retention';
import { eventually } from '../../src/testing';
import { TEST_DATABASE_URL, testLogger } from '../support/env';

// A scratch schema with the inbox every service has (its first migration and the
// 20261208030000_inbox_processed_at_index one: services/<name>/prisma/migrations).
const schema = `shared_i_${Math.random().toString(16).slice(2, 10)}`;
const databaseUrl = `${TEST_DATABASE_URL}?schema=${schema}`;
const HOUR_MS = 3_600_000;
// This file's own, so that services running beside the tests are not counted.
const applicationName = `inbox-retention-test-${schema}`;
let db: Client;

beforeAll(async () => {
  const admin = new Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  db = new Client(pgConfigFromUrl(databaseUrl));
  await db.connect();
  await db.query(`
    CREATE TABLE inbox (
      consumer TEXT NOT NULL,
      event_id UUID NOT NULL,
      processed_at TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
      CONSTRAINT inbox_pkey PRIMARY KEY (consumer, event_id)
    );
    CREATE INDEX inbox_processed_at_idx ON inbox (processed_at);
  `);
});

afterAll(async () => {
  await db?.query(`DROP SCHEMA ${schema} CASCADE`);
  await db?.end();
});

beforeEach(async () => {
  await db.query('TRUNCATE inbox');
});

/** `count` messages of `consumer` handled `ageHours` ago, claimed the way every consumer claims them; their event ids. */
async function handled(count: number, ageHours: number, consumer = 'order-saga'): Promise<string[]> {
  const ids = Array.from({ length: count }, () => randomUUID());
  for (const id of ids) await db.query(INBOX_CLAIM_SQL, [consumer, id]);
  await db.query(`UPDATE inbox SET processed_at = now() - $2::float8 * interval '1 hour' WHERE event_id = ANY($1::uuid[])`, [ids, ageHours]);
  return ids;
}

async function count(where = 'true'): Promise<number> {
  const { rows } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM inbox WHERE ${where}`);
  return Number(rows[0].n);
}

async function pruningConnections(): Promise<number> {
  const { rows } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1`, [applicationName]);
  return Number(rows[0].n);
}

const jobs: Array<ReturnType<typeof inboxRetentionJob>> = [];
function job(opts: Partial<InboxRetentionOptions> = {}) {
  const j = inboxRetentionJob({ databaseUrl, applicationName, retentionMs: 336 * HOUR_MS, ...opts });
  jobs.push(j);
  return j;
}
afterEach(async () => {
  await Promise.all(jobs.splice(0).map((j) => j.stop()));
});

describe('inbox retention', () => {
  it('deletes rows processed longer ago than the retention, of every consumer, and keeps the recent ones', async () => {
    await handled(12, 400, 'order-saga');
    await handled(8, 400, 'order-payment-events');
    const recent = await handled(5, 300);
    const j = job({ retentionMs: 336 * HOUR_MS });
    j.start(testLogger);
    await expect(j.prune()).resolves.toEqual({ deleted: 20, batches: 1 });
    const { rows } = await db.query<{ event_id: string }>('SELECT event_id FROM inbox ORDER BY event_id');
    expect(rows.map((r) => r.event_id)).toEqual([...recent].sort());
  });

  it('a message redelivered after its row is pruned claims anew; within the retention it is still a duplicate', async () => {
    const [old] = await handled(1, 400);
    const [recent] = await handled(1, 1);
    const j = job({ retentionMs: 336 * HOUR_MS });
    j.start(testLogger);
    await j.prune();
    // What the retention's lower bound on the topics' retention is for (start.ts warns otherwise).
    expect((await db.query(INBOX_CLAIM_SQL, ['order-saga', old])).rowCount).toBe(1);
    expect((await db.query(INBOX_CLAIM_SQL, ['order-saga', recent])).rowCount).toBe(0);
  });

  it('deletes in batches, oldest first, until a batch comes back short', async () => {
    await handled(9, 500);
    await handled(9, 400);
    await handled(3, 1);
    const j = job({ retentionMs: 336 * HOUR_MS, batchSize: 4 });
    j.start(testLogger);
    // 4 + 4 + 4 + 4 + 2.
    await expect(j.prune()).resolves.toEqual({ deleted: 18, batches: 5 });
    expect(await count()).toBe(3);
  });

  it('skips the round while another replica prunes the inbox, and is not held up by the outbox pruning', async () => {
    await handled(6, 400);
    const other = new Client(pgConfigFromUrl(databaseUrl));
    await other.connect();
    const j = job();
    j.start(testLogger);
    try {
      await other.query('BEGIN');
      await other.query(`SELECT pg_advisory_xact_lock(hashtext('sudamall.outbox-retention:' || current_schema()))`);
      await expect(j.prune()).resolves.toEqual({ deleted: 6, batches: 1 });
      await other.query('ROLLBACK');
      await handled(2, 400);
      await other.query('BEGIN');
      await other.query(`SELECT pg_advisory_xact_lock(hashtext('sudamall.inbox-retention:' || current_schema()))`);
      await expect(j.prune()).resolves.toBe('busy');
      expect(await count()).toBe(2);
    } finally {
      await other.query('ROLLBACK');
      await other.end();
    }
    await expect(j.prune()).resolves.toEqual({ deleted: 2, batches: 1 });
  });

  it('keeps every row when the retention is 0', async () => {
    await handled(4, 24 * 365);
    const j = job({ retentionMs: 0, everyMs: 20 });
    j.start(testLogger);
    await expect(j.prune()).resolves.toEqual({ deleted: 0, batches: 0 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await count()).toBe(4);
  });

  it('prunes on its timer once started, and stop() ends the timer and closes its connection', async () => {
    await handled(7, 400);
    const j = job({ everyMs: 50 });
    j.start(testLogger);
    await eventually(async () => expect(await count()).toBe(0));
    expect(await pruningConnections()).toBe(1);
    await j.stop();
    await handled(3, 400);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await count()).toBe(3);
    await eventually(async () => expect(await pruningConnections()).toBe(0));
    await expect(j.prune()).rejects.toThrow(/not started/);
  });

  it('finds the old rows through the processed_at index, not by reading the whole inbox', async () => {
    await db.query(
      `INSERT INTO inbox (consumer, event_id, processed_at)
       SELECT 'order-saga', gen_random_uuid(), now() - (g || ' seconds')::interval FROM generate_series(1, 20000) g`,
    );
    await db.query('ANALYZE inbox');
    const { rows } = await db.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN SELECT ctid FROM inbox WHERE processed_at < now() - 1209600000::float8 * interval '1 millisecond' ORDER BY processed_at LIMIT 5000`,
    );
    const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(plan).toContain('inbox_processed_at_idx');
    expect(plan).not.toContain('Seq Scan');
  });
});
