// Parking against real Kafka and PostgreSQL: a message whose handler always fails is parked after
// its budget and its partition moves on; retry re-runs the handler once; discard keeps the audit.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import { invalid, unavailable } from '../../src/errors';
import { metricsRegistry } from '../../src/http/metrics';
import { createEnvelope, type AnyEnvelope } from '../../src/messaging/envelope';
import { claimInbox } from '../../src/messaging/inbox';
import { KafkaBus, type MessageMeta } from '../../src/messaging/kafka-bus';
import { Topics, topicName } from '../../src/messaging/contracts';
import { pgConfigFromUrl } from '../../src/db/pg-config';
import { ParkedMessages, SqlParkStore, type ParkedMessage } from '../../src/messaging/parked-messages';
import { createTestTopics, eventually, testTopicPrefix, uniqueId } from '../../src/testing';
import { KAFKA_BROKERS, TEST_DATABASE_URL, testLogger } from '../support/env';

// The table as the services' migrations create it (inventory's; the four are identical).
const MIGRATION = path.join(__dirname, '../../../../services/inventory/prisma/migrations/20261203123000_parked_messages/migration.sql');
const schema = `shared_p_${Math.random().toString(16).slice(2, 10)}`;
const prefix = testTopicPrefix();
const admin = { id: 'op-1', role: 'admin' as const };
let pool: Pool;
let bus: KafkaBus;
let parked: ParkedMessages;

beforeAll(async () => {
  const setup = new Pool({ connectionString: TEST_DATABASE_URL, max: 1 });
  await setup.query(`CREATE SCHEMA ${schema}`);
  await setup.end();
  pool = new Pool({ ...pgConfigFromUrl(`${TEST_DATABASE_URL}?schema=${schema}`), max: 4 });
  await pool.query(readFileSync(MIGRATION, 'utf8'));
  await pool.query(`
    CREATE TABLE inbox (consumer TEXT NOT NULL, event_id UUID NOT NULL, PRIMARY KEY (consumer, event_id));
    CREATE TABLE effects (event_id UUID NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now());
  `);
  parked = new ParkedMessages(new SqlParkStore((sql, values) => pool.query(sql, values).then((r) => r.rows)), { logger: testLogger });
  bus = new KafkaBus({ brokers: KAFKA_BROKERS, clientId: 'shared-parked-test', logger: testLogger, parked });
  await createTestTopics(bus, prefix);
});

afterAll(async () => {
  await bus?.disconnect();
  await pool?.query(`DROP SCHEMA ${schema} CASCADE`);
  await pool?.end();
});

function cancelled(orderId: string, reason = 'test'): AnyEnvelope {
  return createEnvelope('order.cancelled', orderId, { order_id: orderId, user_id: 'u-1', reason });
}

/** An idempotent consumer as the services write them: inbox claim and effect in one transaction. */
async function applyOnce(consumer: string, envelope: AnyEnvelope): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const claimed = await claimInbox({ $executeRawUnsafe: async (q, ...v) => (await client.query(q, v)).rowCount ?? 0 }, consumer, envelope.id);
    if (claimed) await client.query('INSERT INTO effects (event_id) VALUES ($1)', [envelope.id]);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  } finally {
    client.release();
  }
}

async function effectsOf(eventId: string): Promise<number> {
  const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM effects WHERE event_id = $1', [eventId]);
  return rows[0].n;
}

async function parkedCount(consumer: string, topic: string): Promise<number> {
  const metric = await metricsRegistry.getSingleMetric('kafka_messages_parked_total')!.get();
  return metric.values.find((v) => v.labels.consumer === consumer && v.labels.topic === topic)?.value ?? 0;
}

async function parkedOf(consumer: string): Promise<ParkedMessage[]> {
  return (await parked.list({ consumer, limit: 50, offset: 0 })).items;
}

describe('parked messages', () => {
  it('parks a message that always fails after KAFKA_MAX_ATTEMPTS, moves on, counts it; a retry after the fix applies it once', async () => {
    const topic = topicName(prefix, Topics.orderEvents);
    const consumer = uniqueId('c');
    const orderId = uniqueId('order');
    const poison = cancelled(orderId, 'poison');
    const next = cancelled(orderId, 'next');
    const attempts = new Map<string, number>();
    const handled: Array<{ id: string; meta: MessageMeta }> = [];
    let broken = true;
    const sub = await bus.subscribe({
      groupId: consumer,
      topics: [topic],
      fromBeginning: true,
      retry: { initialMs: 10, maxMs: 50, maxAttempts: 3 },
      handle: async (envelope, meta) => {
        attempts.set(envelope.id, (attempts.get(envelope.id) ?? 0) + 1);
        // A bug for this one message (not a domain error: the full budget applies).
        if (broken && (envelope.data as { reason?: string }).reason === 'poison') throw new TypeError('cannot read properties of undefined');
        await applyOnce(consumer, envelope);
        handled.push({ id: envelope.id, meta });
      },
    });
    const before = await parkedCount(consumer, topic);
    await bus.publish(topic, [poison, next]);

    // The next message on the same partition is processed: the partition did not stall.
    await eventually(() => expect(handled.map((h) => h.id)).toEqual([next.id]), { timeoutMs: 30000 });
    expect(attempts.get(poison.id)).toBe(3);
    const [row] = await parkedOf(consumer);
    expect(row).toMatchObject({
      consumer,
      topic,
      partition: handled[0].meta.partition,
      key: orderId,
      status: 'parked',
      attempts: 3,
      envelope: poison,
      rawValue: null,
      error: { class: 'unknown', name: 'TypeError', message: 'cannot read properties of undefined' },
    });
    expect(Number(row.offset)).toBe(Number(handled[0].meta.offset) - 1);
    expect(await parkedCount(consumer, topic)).toBe(before + 1);
    expect(await effectsOf(poison.id)).toBe(0);

    // Retry while still broken: stays parked with the failed retry recorded.
    await expect(parked.retry(row.id, admin, 'first try')).rejects.toMatchObject({ code: 'PARKED_MESSAGE_RETRY_FAILED' });
    expect(await parked.get(row.id)).toMatchObject({ status: 'parked', retryCount: 1, attempts: 4, lastRetryBy: 'op-1 (admin)' });

    // After the fix, a retry re-runs the consumer's handler on the stored message, once.
    broken = false;
    const retried = await parked.retry(row.id, admin, 'fixed in v1.2.3');
    expect(retried).toMatchObject({ status: 'retried', resolvedBy: 'op-1 (admin)', resolutionNote: 'fixed in v1.2.3', retryCount: 2 });
    expect(retried.resolvedAt).toBeInstanceOf(Date);
    expect(await effectsOf(poison.id)).toBe(1);
    await expect(parked.retry(row.id, admin, 'again')).rejects.toMatchObject({ code: 'PARKED_MESSAGE_RESOLVED' });
    expect(await effectsOf(poison.id)).toBe(1);
    expect(await effectsOf(next.id)).toBe(1);
    await sub.stop();
  });

  it('parks a domain error sooner, never parks a transient failure, and parks an unparseable message at once', async () => {
    const topic = topicName(prefix, Topics.paymentEvents);
    const consumer = uniqueId('c');
    const key = uniqueId('order');
    const domain = cancelled(key, 'domain');
    const transient = cancelled(key, 'transient');
    const good = cancelled(key, 'good');
    const attempts = new Map<string, number>();
    const handled: string[] = [];
    const sub = await bus.subscribe({
      groupId: consumer,
      topics: [topic],
      fromBeginning: true,
      retry: { initialMs: 5, maxMs: 20, maxAttempts: 3, deterministicMaxAttempts: 2 },
      handle: async (envelope) => {
        const n = (attempts.get(envelope.id) ?? 0) + 1;
        attempts.set(envelope.id, n);
        const reason = (envelope.data as { reason?: string }).reason;
        if (reason === 'domain') throw invalid('ORDER_ID_INVALID', 'not an order of ours');
        // The database down for longer than the budget: still never parked.
        if (reason === 'transient' && n <= 6) throw unavailable('SERVICE_UNAVAILABLE', 'database restarting');
        handled.push(envelope.id);
      },
    });
    const raw = new Kafka({ clientId: 'shared-parked-raw', brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING }).producer();
    await raw.connect();
    await raw.send({ topic, messages: [{ key, value: 'not json at all' }] });
    await raw.disconnect();
    await bus.publish(topic, [domain, transient, good]);

    await eventually(() => expect(handled).toEqual([transient.id, good.id]), { timeoutMs: 30000 });
    expect(attempts.get(domain.id)).toBe(2);
    expect(attempts.get(transient.id)).toBe(7);
    const rows = await parkedOf(consumer);
    expect(rows).toHaveLength(2);
    const unparseable = rows.find((r) => r.envelope === null)!;
    expect(unparseable).toMatchObject({ key, rawValue: 'not json at all', attempts: 1, error: { class: 'unparseable' } });
    expect(rows.find((r) => r.envelope !== null)).toMatchObject({
      attempts: 2,
      envelope: { id: domain.id },
      error: { class: 'deterministic', kind: 'invalid', code: 'ORDER_ID_INVALID' },
    });
    await expect(parked.retry(unparseable.id, admin, '')).rejects.toMatchObject({ code: 'PARKED_MESSAGE_UNPARSEABLE' });
    await sub.stop();
  });

  it('discard records who, when and why, and is final', async () => {
    const topic = topicName(prefix, Topics.inventoryEvents);
    const consumer = uniqueId('c');
    const poison = createEnvelope('product.deleted', 'p-discard', { product_id: 'p-discard' }) as AnyEnvelope;
    const sub = await bus.subscribe({
      groupId: consumer,
      topics: [topic],
      fromBeginning: true,
      retry: { initialMs: 5, maxMs: 20, maxAttempts: 2 },
      handle: async (envelope) => {
        if (envelope.id === poison.id) throw new Error('always');
      },
    });
    await bus.publish(topic, [poison]);
    const [row] = await eventually(
      async () => {
        const rows = await parkedOf(consumer);
        expect(rows).toHaveLength(1);
        return rows;
      },
      { timeoutMs: 30000 },
    );
    await expect(parked.discard(row.id, admin, '  ')).rejects.toMatchObject({ code: 'DISCARD_REASON_REQUIRED' });
    const discarded = await parked.discard(row.id, admin, 'product was deleted by hand; nothing to sync');
    expect(discarded).toMatchObject({ status: 'discarded', resolvedBy: 'op-1 (admin)', resolutionNote: 'product was deleted by hand; nothing to sync' });
    expect(discarded.resolvedAt).toBeInstanceOf(Date);
    expect(await parked.get(row.id)).toMatchObject({ status: 'discarded', envelope: poison });
    await expect(parked.retry(row.id, admin, 'oops')).rejects.toMatchObject({ code: 'PARKED_MESSAGE_RESOLVED' });
    await expect(parked.discard(row.id, admin, 'twice')).rejects.toMatchObject({ code: 'PARKED_MESSAGE_RESOLVED' });
    await expect(parked.get('999999999')).rejects.toMatchObject({ code: 'PARKED_MESSAGE_NOT_FOUND' });
    await expect(parked.get('not-a-number')).rejects.toMatchObject({ code: 'PARKED_MESSAGE_NOT_FOUND' });
    await sub.stop();
  });
});
