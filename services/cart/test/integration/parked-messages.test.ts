// The cart's consumers with the container's park store (parked_messages over the cart's own SQL
// runner): a message neither can parse is parked at once instead of stalling its partition, and
// /api/v1/carts/admin/parked-messages/ lets an admin (only) see it and discard it.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Kafka, logLevel } from 'kafkajs';
import { createLogger, KafkaBus, consumerGroupName, subscribeConsumers, topicName, Topics, type Subscription } from '@sudamall/shared';
import { TEST_JWT_SECRET, createTestTopics, eventually, testToken, testTopicPrefix } from '@sudamall/shared/testing';
import { buildApp } from '../../src/http/app';
import { cartConsumers } from '../../src/infra/consumers';
import { startHarness, type Harness } from '../support/harness';

const prefix = testTopicPrefix();
const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const PARKED = '/api/v1/carts/admin/parked-messages';
const secret = process.env.JWT_SECRET ?? TEST_JWT_SECRET;
const admin = { authorization: `Bearer ${testToken({ sub: 'ops-2', role: 'admin' }, secret)}` };
const buyer = { authorization: `Bearer ${testToken({ sub: randomUUID(), role: 'buyer' }, secret)}` };
let h: Harness;
let bus: KafkaBus;
let app: FastifyInstance;
let subscriptions: Subscription[] = [];

beforeAll(async () => {
  h = await startHarness();
  const logger = createLogger({ name: 'cart-parked-test', level: 'silent' });
  // As main.ts wires it: the bus parks into the container's store.
  bus = new KafkaBus({ brokers: BROKERS, clientId: 'cart-parked-test', logger, parked: h.container.parked, retry: { maxAttempts: 2, initialMs: 20 } });
  await createTestTopics(bus, prefix);
  subscriptions = await subscribeConsumers(bus, cartConsumers(h.container.useCases, logger), prefix);
  app = await buildApp({ useCases: h.container.useCases, auth: { secret }, parked: h.container.parked });
  await app.ready();
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(subscriptions.map((s) => s.stop()));
  await bus?.disconnect();
  await app?.close();
  await h?.close();
});

// cart_test is shared by the cart's test files (and runs): only this file's topics count.
async function ours(status: string): Promise<Array<Record<string, any>>> {
  const res = await app.inject({ method: 'GET', url: `${PARKED}/?status=${status}&limit=200`, headers: admin });
  expect(res.statusCode).toBe(200);
  return res.json<{ items: Array<Record<string, any>> }>().items.filter((i) => String(i.topic).startsWith(prefix));
}

it('both consumers park an unparseable message at once; an admin lists and discards them', async () => {
  const productId = randomUUID();
  const orderId = randomUUID();
  const producer = new Kafka({ clientId: 'cart-parked-raw', brokers: BROKERS, logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  await producer.send({ topic: topicName(prefix, Topics.inventoryEvents), messages: [{ key: productId, value: 'garbage from a foreign producer' }] });
  await producer.send({
    topic: topicName(prefix, Topics.orderEvents),
    messages: [{ key: orderId, value: JSON.stringify({ id: 42, type: 'order.status_changed' }) }],
  });
  await producer.disconnect();

  const items = await eventually(
    async () => {
      const list = await ours('parked');
      expect(list).toHaveLength(2);
      return list;
    },
    { timeoutMs: 30000 },
  );
  expect(items.map((i) => [i.consumer, i.key, i.error.class, i.attempts]).sort()).toEqual(
    [
      [consumerGroupName(prefix, 'cart-catalog-sync'), productId, 'unparseable', 1],
      [consumerGroupName(prefix, 'cart-order-events'), orderId, 'unparseable', 1],
    ].sort(),
  );
  expect((await app.inject({ method: 'GET', url: `${PARKED}/`, headers: buyer })).statusCode).toBe(403);

  for (const item of items) {
    const res = await app.inject({ method: 'POST', url: `${PARKED}/${item.id}/discard`, headers: admin, payload: { reason: 'not ours' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'discarded', resolved_by: 'ops-2 (admin)', resolution_note: 'not ours' });
  }
  expect(await ours('parked')).toEqual([]);
  expect(await ours('discarded')).toHaveLength(2);
});
