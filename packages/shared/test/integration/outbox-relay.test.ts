import type { Client } from 'pg';
import { createEnvelope, type Envelope } from '../../src/messaging/envelope';
import { claimInbox } from '../../src/messaging/inbox';
import { KafkaBus } from '../../src/messaging/kafka-bus';
import { Topics, topicName, type TopicName } from '../../src/messaging/contracts';
import { insertOutboxSql, OUTBOX_NOTIFY_SQL } from '../../src/messaging/outbox';
import { beginAndClaimSql, OutboxRelay, type EnvelopePublisher } from '../../src/messaging/outbox-relay';
import { createTestTopics, eventually, testTopicPrefix, uniqueId } from '../../src/testing';
import { KAFKA_BROKERS, TEST_DATABASE_URL, testLogger } from '../support/env';
import { scratchOutboxSchema } from '../support/outbox';

// A scratch schema per test file with the same tables every service has (see the README).
const schema = `shared_t_${Math.random().toString(16).slice(2, 10)}`;
const databaseUrl = `${TEST_DATABASE_URL}?schema=${schema}`;
const prefix = testTopicPrefix();
let db: Client;
let bus: KafkaBus;

beforeAll(async () => {
  db = await scratchOutboxSchema(schema);
  await db.query(`
    CREATE TABLE inbox (
      consumer TEXT NOT NULL,
      event_id UUID NOT NULL,
      processed_at TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
      PRIMARY KEY (consumer, event_id)
    );
    ${OUTBOX_NOTIFY_SQL}
  `);
  bus = new KafkaBus({ brokers: KAFKA_BROKERS, clientId: 'shared-outbox-test', logger: testLogger });
  await createTestTopics(bus, prefix);
});

afterAll(async () => {
  await bus?.disconnect();
  await db?.query(`DROP SCHEMA ${schema} CASCADE`);
  await db?.end();
});

beforeEach(async () => {
  await db.query('TRUNCATE outbox, inbox');
});

async function insert(envelopes: Envelope[], topic: TopicName = Topics.orderEvents) {
  const { text, values } = insertOutboxSql(envelopes, topic);
  await db.query(text, values);
}

function placed(orderId: string, i: number) {
  return createEnvelope('order.status_changed', orderId, {
    order_id: orderId,
    user_id: 'u-1',
    from: 'pending',
    to: 'under_paying',
    reason: `step ${i}`,
    payment_expires_at: null,
  });
}

async function pending(): Promise<number> {
  const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM outbox WHERE published_at IS NULL');
  return Number(rows[0].n);
}

/** Records what a relay publishes; can be told to fail. */
class RecordingPublisher implements EnvelopePublisher {
  published: Array<{ topic: string; id: string }> = [];
  failuresLeft = 0;
  async publish(topic: string, envelopes: ReadonlyArray<Envelope>) {
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      throw new Error('broker unreachable');
    }
    for (const e of envelopes) this.published.push({ topic, id: e.id });
  }
}

describe('OutboxRelay', () => {
  it('publishes rows to Kafka in id order under the topic prefix and marks them published', async () => {
    const orderId = uniqueId('order');
    const envelopes = Array.from({ length: 20 }, (_, i) => placed(orderId, i));
    await insert(envelopes.slice(0, 10));
    await insert(envelopes.slice(10));

    const received: string[] = [];
    const sub = await bus.subscribe({
      groupId: uniqueId('g'),
      topics: [topicName(prefix, Topics.orderEvents)],
      fromBeginning: true,
      handle: async (e) => {
        if (e.key === orderId) received.push(e.id);
      },
    });
    const relay = new OutboxRelay({ databaseUrl, bus, logger: testLogger, topicPrefix: prefix, pollMs: 50 });
    await relay.start();
    await eventually(() => expect(received).toEqual(envelopes.map((e) => e.id)), { timeoutMs: 30000 });
    expect(await relay.pendingCount()).toBe(0);
    const { rows } = await db.query('SELECT count(*)::int AS n FROM outbox WHERE published_at IS NOT NULL');
    expect(rows[0].n).toBe(20);
    await relay.stop();
    await sub.stop();
  });

  it('is woken by NOTIFY, without waiting for its poll', async () => {
    const publisher = new RecordingPublisher();
    const relay = new OutboxRelay({ databaseUrl, bus: publisher, logger: testLogger, topicPrefix: prefix, pollMs: 60000 });
    await relay.start();
    const e = placed(uniqueId('order'), 0);
    const started = Date.now();
    await insert([e]);
    await eventually(() => expect(publisher.published).toEqual([{ topic: topicName(prefix, Topics.orderEvents), id: e.id }]), {
      timeoutMs: 5000,
      intervalMs: 10,
    });
    expect(Date.now() - started).toBeLessThan(2000);
    await relay.stop();
  });

  it('flush() publishes everything pending before it resolves, grouped per topic', async () => {
    const publisher = new RecordingPublisher();
    const relay = new OutboxRelay({ databaseUrl, bus: publisher, logger: testLogger, topicPrefix: prefix, batchSize: 7 });
    const orders = Array.from({ length: 30 }, (_, i) => placed('o-flush', i));
    const stock = createEnvelope('stock.confirmed', 'o-flush', { order_id: 'o-flush' });
    await insert(orders.slice(0, 15));
    await insert([stock], Topics.inventoryEvents);
    await insert(orders.slice(15));
    await relay.flush();
    expect(await pending()).toBe(0);
    expect(publisher.published.filter((p) => p.topic === topicName(prefix, Topics.orderEvents)).map((p) => p.id)).toEqual(orders.map((e) => e.id));
    expect(publisher.published.filter((p) => p.topic === topicName(prefix, Topics.inventoryEvents)).map((p) => p.id)).toEqual([stock.id]);
    await relay.stop();
  });

  it('keeps rows pending while publishing fails and publishes them once it recovers', async () => {
    const publisher = new RecordingPublisher();
    publisher.failuresLeft = 3;
    const relay = new OutboxRelay({ databaseUrl, bus: publisher, logger: testLogger, topicPrefix: prefix, pollMs: 50, maxBackoffMs: 100 });
    const envelopes = [placed('o-fail', 1), placed('o-fail', 2)];
    await insert(envelopes);
    await relay.start();
    await eventually(() => expect(publisher.failuresLeft).toBe(1), { timeoutMs: 10000, intervalMs: 5 });
    expect(await pending()).toBe(2);
    await eventually(async () => expect(await pending()).toBe(0), { timeoutMs: 10000 });
    expect(publisher.published.map((p) => p.id)).toEqual(envelopes.map((e) => e.id));
    await relay.stop();
  });

  it('two relays on one database publish each row exactly once, in order', async () => {
    const publisher = new RecordingPublisher();
    const a = new OutboxRelay({ databaseUrl, bus: publisher, logger: testLogger, topicPrefix: prefix, batchSize: 10 });
    const b = new OutboxRelay({ databaseUrl, bus: publisher, logger: testLogger, topicPrefix: prefix, batchSize: 10 });
    const envelopes = Array.from({ length: 120 }, (_, i) => placed('o-two', i));
    await insert(envelopes);
    await Promise.all([a.flush(), b.flush(), a.flush()]);
    expect(publisher.published.map((p) => p.id)).toEqual(envelopes.map((e) => e.id));
    await Promise.all([a.stop(), b.stop()]);
  });

  it("claims through the pending rows' index entries in id order, never a bitmap or sequential scan", async () => {
    // A queue as the planner misjudges it: analysed while 3,000 rows were pending, then all but
    // the last 3 marked published (each mark leaves a dead version behind its "pending" entry).
    await db.query(`INSERT INTO outbox (event_id, topic, key, type, payload)
      SELECT gen_random_uuid(), 'order.events', 'k' || g, 'order.placed', '{}'::jsonb FROM generate_series(1, 3000) g`);
    await db.query('ANALYZE outbox');
    await db.query('UPDATE outbox SET published_at = now() WHERE id <= (SELECT max(id) - 3 FROM outbox)');
    // The relay's round trip, statement by statement, with the claim explained instead of run.
    const [begin, ...settingsAndLock] = beginAndClaimSql(200)
      .split(';')
      .map((s) => s.trim());
    const claim = settingsAndLock.pop() as string;
    expect(begin).toBe('BEGIN');
    await db.query('BEGIN');
    try {
      for (const statement of settingsAndLock) await db.query(statement);
      const { rows } = await db.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${claim}`);
      const plan = JSON.stringify(rows[0]['QUERY PLAN']);
      expect(plan).toContain('"Node Type":"Index Scan"');
      expect(plan).toContain('"Index Name":"outbox_published_at_id_idx"');
      expect(plan).not.toMatch(/Bitmap|Seq Scan|"Node Type":"Sort"/);
    } finally {
      await db.query('ROLLBACK');
    }
  });
});

describe('claimInbox', () => {
  const tx = {
    $executeRawUnsafe: async (sql: string, ...values: unknown[]) => (await db.query(sql, values)).rowCount ?? 0,
  };

  it('claims an event once per consumer', async () => {
    const eventId = createEnvelope('stock.confirmed', 'o-1', { order_id: 'o-1' }).id;
    expect(await claimInbox(tx, 'order.saga', eventId)).toBe(true);
    expect(await claimInbox(tx, 'order.saga', eventId)).toBe(false);
    expect(await claimInbox(tx, 'order.projection', eventId)).toBe(true);
  });

  it('forgets the claim when the transaction that made it rolls back', async () => {
    const eventId = createEnvelope('stock.confirmed', 'o-2', { order_id: 'o-2' }).id;
    await db.query('BEGIN');
    expect(await claimInbox(tx, 'order.saga', eventId)).toBe(true);
    await db.query('ROLLBACK');
    expect(await claimInbox(tx, 'order.saga', eventId)).toBe(true);
  });
});
