// The scrape-time gauges against real PostgreSQL and Kafka: outbox lag from a scratch outbox
// table, consumer lag from a group's committed offsets (and its assignment before any commit).
import type { Client } from 'pg';
import { createEnvelope } from '../../src/messaging/envelope';
import { KafkaBus, type Subscription } from '../../src/messaging/kafka-bus';
import { Topics, topicName } from '../../src/messaging/contracts';
import { metricsRegistry } from '../../src/http/metrics';
import { collectedGauge, registerConsumerLagMetrics, registerOutboxMetrics } from '../../src/http/service-metrics';
import { createTestTopics, eventually, testTopicPrefix, uniqueId } from '../../src/testing';
import { KAFKA_BROKERS, testLogger } from '../support/env';
import { scratchOutboxSchema } from '../support/outbox';

const schema = `shared_m_${Math.random().toString(16).slice(2, 10)}`;
const prefix = testTopicPrefix();
let db: Client;
let bus: KafkaBus;

beforeAll(async () => {
  db = await scratchOutboxSchema(schema);
  bus = new KafkaBus({ brokers: KAFKA_BROKERS, clientId: 'shared-metrics-test', logger: testLogger });
  await createTestTopics(bus, prefix);
});

afterAll(async () => {
  await bus?.disconnect();
  await db?.query(`DROP SCHEMA ${schema} CASCADE`);
  await db?.end();
});

/** The samples of one metric as `labels → value`, from the registry's own JSON. */
async function samples(name: string): Promise<Array<{ labels: Record<string, string | number>; value: number }>> {
  const metric = metricsRegistry.getSingleMetric(name);
  if (!metric) throw new Error(`${name} is not registered`);
  return (await metric.get()).values.map((v) => ({ labels: v.labels as Record<string, string | number>, value: v.value }));
}

test('outbox lag: pending rows and the age of the oldest; zero when everything is published', async () => {
  registerOutboxMetrics(async (sql) => (await db.query(sql)).rows, testLogger);
  await db.query(
    `INSERT INTO outbox (event_id, topic, key, type, payload, created_at) VALUES
       (gen_random_uuid(), 'order.events', 'k', 't', '{}', now() - interval '90 seconds'),
       (gen_random_uuid(), 'order.events', 'k', 't', '{}', now()),
       (gen_random_uuid(), 'order.events', 'k', 't', '{}', now() - interval '1 hour')`,
  );
  await db.query(`UPDATE outbox SET published_at = now() WHERE created_at < now() - interval '1 minute' AND created_at > now() - interval '2 minutes'`);
  expect(await samples('outbox_pending_messages')).toEqual([{ labels: {}, value: 2 }]);
  const [age] = await samples('outbox_oldest_pending_age_seconds');
  expect(age.value).toBeGreaterThanOrEqual(3599);
  expect(age.value).toBeLessThan(3700);

  await db.query('UPDATE outbox SET published_at = now()');
  // The two gauges share one query per second; past that, a scrape sees the new state.
  await new Promise((r) => setTimeout(r, 1100));
  expect(await samples('outbox_pending_messages')).toEqual([{ labels: {}, value: 0 }]);
  expect(await samples('outbox_oldest_pending_age_seconds')).toEqual([{ labels: {}, value: 0 }]);
});

test('consumer lag per group, topic and partition: all unread before the group commits, zero once it has handled everything', async () => {
  const topic = topicName(prefix, Topics.orderEvents);
  const group = uniqueId('metrics-group');
  const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
  await bus.publish(
    topic,
    keys.map((k) => createEnvelope('order.cancelled', k, { order_id: k, user_id: 'u', reason: 'test' })),
  );
  let handled = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const groups: string[] = [];
  const lag = registerConsumerLagMetrics({ brokers: KAFKA_BROKERS, clientId: 'shared-metrics-test', groups: () => groups, logger: testLogger, cacheMs: 0 });
  let sub: Subscription | undefined;
  try {
    // The handler holds the first message: nothing is committed yet, every message is lag.
    sub = await bus.subscribe({
      groupId: group,
      topics: [topic],
      fromBeginning: true,
      handle: async () => {
        await gate;
        handled++;
      },
    });
    groups.push(sub.groupId);
    const total = async () => (await samples('kafka_consumer_group_lag_messages')).find((s) => s.labels.group === group)?.value;
    await eventually(async () => expect(await total()).toBe(keys.length), { timeoutMs: 20000, intervalMs: 300 });
    const perPartition = (await samples('kafka_consumer_lag_messages')).filter((s) => s.labels.group === group);
    expect(perPartition.length).toBe(3);
    expect(perPartition.every((s) => s.labels.topic === topic)).toBe(true);
    expect(perPartition.reduce((n, s) => n + s.value, 0)).toBe(keys.length);

    release();
    await eventually(() => expect(handled).toBe(keys.length), { timeoutMs: 20000 });
    await eventually(async () => expect(await total()).toBe(0), { timeoutMs: 20000, intervalMs: 300 });
  } finally {
    release();
    await sub?.stop();
    await lag.close();
  }
});

test('a gauge whose collection fails reports unknown (NaN, or no labelled sample) for that scrape instead of failing /metrics', async () => {
  let fail = true;
  const collect = async () => {
    if (fail) throw new Error('database down');
    return [{ labels: { kind: 'a' }, value: 7 }];
  };
  collectedGauge({ name: 'shared_test_flaky_gauge', help: 'test', collect: async () => (await collect()).map((s) => ({ labels: {}, value: s.value })) });
  collectedGauge({ name: 'shared_test_flaky_labelled_gauge', help: 'test', labelNames: ['kind'] as const, collect });
  const [unlabelled] = await samples('shared_test_flaky_gauge');
  expect(unlabelled.value).toBeNaN();
  expect(await samples('shared_test_flaky_labelled_gauge')).toEqual([]);
  // (prom-client writes NaN as "Nan"; Prometheus parses either.)
  await expect(metricsRegistry.metrics()).resolves.toMatch(/^shared_test_flaky_gauge nan$/im);
  fail = false;
  expect(await samples('shared_test_flaky_gauge')).toEqual([{ labels: {}, value: 7 }]);
  expect(await samples('shared_test_flaky_labelled_gauge')).toEqual([{ labels: { kind: 'a' }, value: 7 }]);
});
