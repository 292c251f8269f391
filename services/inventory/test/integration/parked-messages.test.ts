// The service as wired in container.ts: its commands consumer parks a message it cannot parse
// (parked_messages over the container's node-postgres pool) instead of stalling its partition,
// and /api/v1/products/admin/parked-messages/ lets an admin (only) see it and discard it.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Kafka, logLevel } from 'kafkajs';
import { consumerGroupName, topicName, Topics, type Subscription } from '@sudamall/shared';
import { createTestTopics, eventually, testToken, testTopicPrefix, type TestDatabase } from '@sudamall/shared/testing';
import { loadConfig } from '../../src/config';
import { createContainer, type Container } from '../../src/container';
import { buildApp } from '../../src/http/app';
import { subscribeConsumers } from '@sudamall/shared/service';
import { commandsConsumer } from '../../src/infra/commands-consumer';
import { TEST_JWT_SECRET, TEST_KAFKA_BROKERS, TEST_REDIS_URL } from '../support/env';
import { createPrivateDatabase, silentLogger } from '../support/fixtures';

const prefix = testTopicPrefix();
const PARKED = '/api/v1/products/admin/parked-messages';
const admin = { authorization: `Bearer ${testToken({ sub: 'ops-1', role: 'admin' }, TEST_JWT_SECRET)}` };
const seller = { authorization: `Bearer ${testToken({ sub: randomUUID(), role: 'seller', store_id: randomUUID() }, TEST_JWT_SECRET)}` };
let database: TestDatabase;
let c: Container;
let app: FastifyInstance;
let consumer: Subscription;

beforeAll(async () => {
  database = await createPrivateDatabase();
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    KAFKA_BROKERS: TEST_KAFKA_BROKERS.join(','),
    KAFKA_TOPIC_PREFIX: prefix,
    JWT_SECRET: TEST_JWT_SECRET,
    KAFKA_MAX_ATTEMPTS: '2',
    KAFKA_RETRY_BASE_MS: '20',
  });
  c = await createContainer(config, silentLogger);
  await createTestTopics(c.bus!, prefix);
  [consumer] = await subscribeConsumers(c.bus!, [commandsConsumer(c)], prefix);
  app = await buildApp({ useCases: c.useCases, auth: { secret: TEST_JWT_SECRET }, ready: () => true, parked: c.parked });
  await app.ready();
}, 120_000);

afterAll(async () => {
  await consumer?.stop();
  await app?.close();
  await c?.close();
  await database?.drop();
});

it('parks an unparseable command at once; an admin lists it, cannot retry it, and discards it with a reason', async () => {
  const orderId = randomUUID();
  const producer = new Kafka({ clientId: 'inventory-parked-test', brokers: TEST_KAFKA_BROKERS, logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  await producer.send({ topic: topicName(prefix, Topics.inventoryCommands), messages: [{ key: orderId, value: '{"type":"inventory.reserve",' }] });
  await producer.disconnect();

  const item = await eventually(
    async () => {
      const res = await app.inject({ method: 'GET', url: `${PARKED}/?status=parked`, headers: admin });
      expect(res.statusCode).toBe(200);
      const [first] = res.json<{ items: Array<Record<string, any>> }>().items;
      expect(first).toBeDefined();
      return first;
    },
    { timeoutMs: 30000 },
  );
  expect(item).toMatchObject({
    consumer: consumerGroupName(prefix, 'inventory'),
    topic: topicName(prefix, Topics.inventoryCommands),
    key: orderId,
    envelope: null,
    raw_value: '{"type":"inventory.reserve",',
    attempts: 1,
    error: { class: 'unparseable' },
    status: 'parked',
  });
  expect((await app.inject({ method: 'GET', url: `${PARKED}/`, headers: seller })).statusCode).toBe(403);

  const retry = await app.inject({ method: 'POST', url: `${PARKED}/${item.id}/retry`, headers: admin, payload: { note: '' } });
  expect(retry.statusCode).toBe(422);
  expect(retry.json().error.code).toBe('PARKED_MESSAGE_UNPARSEABLE');
  const discard = await app.inject({
    method: 'POST',
    url: `${PARKED}/${item.id}/discard`,
    headers: admin,
    payload: { reason: 'truncated by a broken producer' },
  });
  expect(discard.statusCode).toBe(200);
  expect(discard.json()).toMatchObject({ status: 'discarded', resolved_by: 'ops-1 (admin)', resolution_note: 'truncated by a broken producer' });
  expect((await app.inject({ method: 'GET', url: `${PARKED}/?status=parked`, headers: admin })).json().items).toEqual([]);
});
