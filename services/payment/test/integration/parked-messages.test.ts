// The payment commands consumer on the container's own bus (which parks into parked_messages over
// Prisma): a command it cannot parse is parked at once instead of stalling its partition, and
// /api/v1/payments/admin/parked-messages/ lets an admin (only) see it and discard it. A schema of
// its own (support/own-schema.ts).
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Kafka, logLevel } from 'kafkajs';
import { createEnvelope, topicName, Topics, type Subscription, subscribeConsumers } from '@sudamall/shared';
import { createTestTopics, eventually, testTopicPrefix } from '@sudamall/shared/testing';
import { buildApp } from '../../src/http/app';
import { TestGateway } from '../../src/infra/gateways/test-gateway';
import { paymentCommandsConsumer } from '../../src/infra/payment-commands-consumer';
import { admin, buyer, httpDeps, startHarness, type Harness } from '../support/harness';
import { createOwnSchema } from '../support/own-schema';

const prefix = testTopicPrefix();
const PARKED = '/api/v1/payments/admin/parked-messages';
jest.setTimeout(120_000);

let schema: Awaited<ReturnType<typeof createOwnSchema>>;
let h: Harness;
let app: FastifyInstance;
let consumer: Subscription;
const operator = admin('ops-3');

beforeAll(async () => {
  schema = await createOwnSchema('parked');
  h = await startHarness({ gateways: [new TestGateway()], env: { KAFKA_TOPIC_PREFIX: prefix, DATABASE_URL: schema.databaseUrl, KAFKA_MAX_ATTEMPTS: '2' } });
  await createTestTopics(h.container.bus, prefix);
  // Subscribed under the group `<prefix>payment`, which the parked row names below.
  [consumer] = await subscribeConsumers(h.container.bus, [{ ...paymentCommandsConsumer(h.container.useCases, h.container.logger), name: 'payment' }], prefix);
  app = await buildApp({ ...httpDeps(h.container), parked: h.container.parked });
  await app.ready();
});

afterAll(async () => {
  await consumer?.stop();
  await app?.close();
  await h?.close();
  await schema?.drop();
});

it('parks an unparseable command at once; an admin lists it, cannot retry it, and discards it with a reason', async () => {
  const orderId = randomUUID();
  const producer = new Kafka({ clientId: 'payment-parked-raw', brokers: h.config.KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  await producer.send({
    topic: topicName(prefix, Topics.paymentCommands),
    messages: [{ key: orderId, value: `{"type":"payment.refund","data":{"order_id":"${orderId}"}` }],
  });
  await producer.disconnect();

  const item = await eventually(
    async () => {
      const res = await app.inject({ method: 'GET', url: `${PARKED}/?status=parked`, headers: { authorization: operator.auth } });
      expect(res.statusCode).toBe(200);
      const [first] = res.json<{ items: Array<Record<string, any>> }>().items;
      expect(first).toBeDefined();
      return first;
    },
    { timeoutMs: 60000 },
  );
  expect(item).toMatchObject({
    consumer: `${prefix}payment`,
    topic: topicName(prefix, Topics.paymentCommands),
    key: orderId,
    envelope: null,
    error: { class: 'unparseable' },
    attempts: 1,
  });
  expect((await app.inject({ method: 'GET', url: `${PARKED}/`, headers: { authorization: buyer().auth } })).statusCode).toBe(403);
  const retry = await app.inject({ method: 'POST', url: `${PARKED}/${item.id}/retry`, headers: { authorization: operator.auth }, payload: { note: '' } });
  expect(retry.statusCode).toBe(422);
  expect(retry.json().error.code).toBe('PARKED_MESSAGE_UNPARSEABLE');
  const res = await app.inject({
    method: 'POST',
    url: `${PARKED}/${item.id}/discard`,
    headers: { authorization: operator.auth },
    payload: { reason: 'a half-written command' },
  });
  expect(res.statusCode).toBe(200);
  expect(res.json()).toMatchObject({ status: 'discarded', resolved_by: 'ops-3 (admin)', resolution_note: 'a half-written command' });
});

it('parks a payment.refund whose amount is malformed (a sender bug: no refund is guessed), after its short budget for domain errors', async () => {
  const orderId = randomUUID();
  const command = createEnvelope('payment.refund', orderId, { order_id: orderId, reason: 'fulfillment_cancelled', amount: '0.00', refund_key: 'adj-zero' });
  await h.container.bus.publish(topicName(prefix, Topics.paymentCommands), [command]);
  const item = await eventually(
    async () => {
      const res = await app.inject({ method: 'GET', url: `${PARKED}/?status=parked`, headers: { authorization: operator.auth } });
      const found = res.json<{ items: Array<Record<string, any>> }>().items.find((i) => i.key === orderId);
      expect(found).toBeDefined();
      return found!;
    },
    { timeoutMs: 60000 },
  );
  expect(item).toMatchObject({ error: { class: 'deterministic', kind: 'invalid', code: 'INVALID_REFUND_AMOUNT' }, attempts: 2 });
  expect(await h.container.prisma.refund.count({ where: { refundKey: 'adj-zero' } })).toBe(0);
});
