import { Client } from 'pg';
import { createEnvelope } from '../../src/messaging/envelope';
import { Topics } from '../../src/messaging/contracts';
import { insertOutboxSql } from '../../src/messaging/outbox';
import { pgConfigFromUrl } from '../../src/db/pg-config';
import { createLogger } from '../../src/logging';
import { OutboxRelay, type EnvelopePublisher } from '../../src/messaging/outbox-relay';
import { eventually } from '../../src/testing';
import { TEST_DATABASE_URL, testLogger } from '../support/env';
import { collectLines } from '../support/log-lines';
import { scratchOutboxSchema } from '../support/outbox';

// A scratch schema with the outbox every service has (see outbox-relay.test.ts).
const schema = `shared_t_${Math.random().toString(16).slice(2, 10)}`;
const databaseUrl = `${TEST_DATABASE_URL}?schema=${schema}`;
const HOUR_MS = 3_600_000;
let db: Client;

// Pruning never publishes; only stop()'s last flush sends the unpublished rows here.
const quietBus: EnvelopePublisher = { publish: async () => undefined };

beforeAll(async () => {
  db = await scratchOutboxSchema(schema);
});

afterAll(async () => {
  await db?.query(`DROP SCHEMA ${schema} CASCADE`);
  await db?.end();
});

beforeEach(async () => {
  await db.query('TRUNCATE outbox');
});

/** `count` rows created `ageHours` ago and published then (`published: false`: never published). */
async function rows(count: number, ageHours: number, published = true): Promise<void> {
  const envelopes = Array.from({ length: count }, (_, i) =>
    createEnvelope('order.status_changed', `o-${i}`, {
      order_id: `o-${i}`,
      user_id: 'u-1',
      from: 'pending',
      to: 'cancelled',
      reason: 'test',
      payment_expires_at: null,
    }),
  );
  const { text, values } = insertOutboxSql(envelopes, Topics.orderEvents);
  const { rows: inserted } = await db.query<{ id: string }>(`${text} RETURNING id`, values);
  await db.query(
    `UPDATE outbox SET created_at = now() - $2::float8 * interval '1 hour',
       published_at = CASE WHEN $3 THEN now() - $2::float8 * interval '1 hour' END
     WHERE id = ANY($1::bigint[])`,
    [inserted.map((r) => r.id), ageHours, published],
  );
}

async function count(where: string): Promise<number> {
  const { rows: result } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM outbox WHERE ${where}`);
  return Number(result[0].n);
}

function relay(opts: { retentionMs?: number; pruneEveryMs?: number; pruneBatchSize?: number; logger?: typeof testLogger } = {}) {
  return new OutboxRelay({ databaseUrl, bus: quietBus, logger: testLogger, ...opts });
}

describe('outbox retention', () => {
  it('deletes published rows older than the retention age and keeps recent ones', async () => {
    await rows(30, 48);
    await rows(20, 1);
    const r = relay({ retentionMs: 24 * HOUR_MS });
    await expect(r.prune()).resolves.toEqual({ deleted: 30, batches: 1 });
    expect(await count('true')).toBe(20);
    expect(await count(`published_at < now() - interval '24 hours'`)).toBe(0);
    await r.stop();
  });

  it('never deletes an unpublished row, however old', async () => {
    await rows(15, 24 * 365, false);
    await rows(5, 48);
    const r = relay({ retentionMs: HOUR_MS });
    await expect(r.prune()).resolves.toEqual({ deleted: 5, batches: 1 });
    expect(await count('published_at IS NULL')).toBe(15);
    expect(await count('true')).toBe(15);
    await r.stop();
  });

  it('deletes in batches until a batch comes back short', async () => {
    await rows(25, 48);
    await rows(3, 48, false);
    const r = relay({ retentionMs: HOUR_MS, pruneBatchSize: 10 });
    // 10 + 10 + 5: the short third batch ends the round.
    await expect(r.prune()).resolves.toEqual({ deleted: 25, batches: 3 });
    expect(await count('true')).toBe(3);
    await r.stop();
  });

  it('skips the round while another replica holds the pruning lock, and prunes once it is free', async () => {
    await rows(10, 48);
    const other = new Client(pgConfigFromUrl(databaseUrl));
    await other.connect();
    await other.query('BEGIN');
    await other.query(`SELECT pg_advisory_xact_lock(hashtext('sudamall.outbox-retention:' || current_schema()))`);
    const r = relay({ retentionMs: HOUR_MS });
    try {
      await expect(r.prune()).resolves.toBe('busy');
      expect(await count('true')).toBe(10);
    } finally {
      await other.query('ROLLBACK');
      await other.end();
    }
    await expect(r.prune()).resolves.toEqual({ deleted: 10, batches: 1 });
    await r.stop();
  });

  it('is not held up by the publishing lock (a relay of another replica publishing)', async () => {
    await rows(4, 48);
    const other = new Client(pgConfigFromUrl(databaseUrl));
    await other.connect();
    await other.query('BEGIN');
    await other.query(`SELECT pg_advisory_xact_lock(hashtext('sudamall.outbox-relay:' || current_schema()))`);
    const r = relay({ retentionMs: HOUR_MS });
    try {
      await expect(r.prune()).resolves.toEqual({ deleted: 4, batches: 1 });
    } finally {
      await other.query('ROLLBACK');
      await other.end();
    }
    await r.stop();
  });

  it('deletes nothing when retention is off (0 or negative)', async () => {
    await rows(6, 24 * 365);
    for (const retentionMs of [0, -1]) {
      const r = relay({ retentionMs, pruneEveryMs: 20 });
      await r.start();
      await expect(r.prune()).resolves.toEqual({ deleted: 0, batches: 0 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      await r.stop();
    }
    expect(await count('true')).toBe(6);
  });

  it('prunes on its timer once started, logs the round at info, and stop() ends the timer', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = createLogger({ name: 'retention-test', level: 'info', destination: collectLines(lines) });
    await rows(7, 48);
    const r = relay({ retentionMs: HOUR_MS, pruneEveryMs: 50, logger });
    await r.start();
    await eventually(async () => expect(await count('true')).toBe(0));
    await eventually(() => expect(lines.find((l) => l.msg === 'published outbox rows pruned')).toMatchObject({ level: 30, deleted: 7, batches: 1 }));
    const pruned = lines.find((l) => l.msg === 'published outbox rows pruned');
    expect(typeof pruned?.elapsed_ms).toBe('number');
    await r.stop();
    // Stopped: old rows stay until the next start.
    await rows(3, 48);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await count('true')).toBe(3);
  });

  it('stop() waits for the round in progress, which ends after its current batch', async () => {
    await rows(40, 48);
    const r = relay({ retentionMs: HOUR_MS, pruneEveryMs: 10, pruneBatchSize: 5 });
    await r.start();
    await eventually(async () => expect(await count('true')).toBeLessThan(40), { timeoutMs: 5000, intervalMs: 5 });
    await r.stop();
    // No batch runs after stop(): what is left stays left.
    const left = await count('true');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await count('true')).toBe(left);
    expect(left).toBeGreaterThan(0);
    expect(left % 5).toBe(0);
  });

  it('logs a failed round at warn and keeps publishing', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = createLogger({ name: 'retention-test', level: 'info', destination: collectLines(lines) });
    const published: string[] = [];
    await rows(5, 48);
    // Every DELETE on the outbox fails; publishing only updates.
    await db.query(`
      CREATE FUNCTION refuse_delete() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'deletes refused'; END $$ LANGUAGE plpgsql;
      CREATE TRIGGER refuse_delete BEFORE DELETE ON outbox FOR EACH ROW EXECUTE FUNCTION refuse_delete();
    `);
    const r = new OutboxRelay({
      databaseUrl,
      bus: { publish: async (_topic, envelopes) => void published.push(...envelopes.map((e) => e.id)) },
      logger,
      retentionMs: HOUR_MS,
      pruneEveryMs: 20,
      pollMs: 20,
    });
    try {
      await r.start();
      await eventually(() => expect(lines.some((l) => l.msg === 'outbox prune failed; the next round retries' && l.level === 40)).toBe(true));
      await rows(1, 0, false);
      await eventually(() => expect(published).toHaveLength(1));
      // The relay marks the row once the bus has taken it, a statement after the publish call.
      await eventually(async () => expect(await count('published_at IS NULL')).toBe(0));
      expect(await count('true')).toBe(6);
    } finally {
      await r.stop();
      await db.query('DROP TRIGGER refuse_delete ON outbox; DROP FUNCTION refuse_delete()');
    }
  });
});
