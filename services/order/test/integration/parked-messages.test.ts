// The saga consumer's parked messages and the dashboard's endpoints over them, on real PostgreSQL
// and Kafka: a reply the saga cannot handle is parked after KAFKA_MAX_ATTEMPTS (the partition
// moves on), listed for admins only, retried (the saga applies it, once) or discarded, audited.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { createEnvelope, metricsRegistry, topicName, type AnyEnvelope, type Envelope } from '@sudamall/shared';
import { bearer, eventually } from '@sudamall/shared/testing';
import { buildTestApp, startHarness, type Harness } from '../fixtures/harness';

const PARKED = '/api/v1/orders/admin/parked-messages';
const operatorId = randomUUID();
const admin = bearer({ sub: operatorId, role: 'admin' });
const buyer = bearer({ sub: randomUUID(), role: 'buyer' });

let h: Harness;
let app: FastifyInstance;
// Messages the saga's handler fails on while they are listed here: a bug, from the consumer's view.
const broken = new Set<string>();

beforeAll(async () => {
  h = await startHarness({ env: { KAFKA_MAX_ATTEMPTS: '3', KAFKA_RETRY_BASE_MS: '20', KAFKA_RETRY_MAX_MS: '100' } });
  const saga = h.c.useCases.saga;
  const handleReply = saga.handleReply.bind(saga);
  saga.handleReply = async (consumer: string, envelope: Envelope) => {
    if (broken.has(envelope.id)) throw new TypeError(`cannot read properties of undefined (reading 'lines') in ${envelope.type}`);
    return handleReply(consumer, envelope);
  };
  // Replies fetched together go through handleReplies; the bus then hands each to handleReply.
  const handleReplies = saga.handleReplies.bind(saga);
  saga.handleReplies = async (consumer, replies) => {
    if (replies.some((r) => broken.has(r.envelope.id))) throw new TypeError(`cannot read properties of undefined (reading 'lines') in a batch`);
    return handleReplies(consumer, replies);
  };
  app = await buildTestApp(h);
});
afterAll(async () => {
  await app?.close();
  await h?.close();
});

async function placeOrder(): Promise<string> {
  const product = h.catalog.add({ price: '10.00' });
  const { orderId } = await h.c.useCases.placeOrder.execute({
    userId: randomUUID(),
    idempotencyKey: randomUUID(),
    items: [{ productId: product.id, quantity: 1 }],
    shippingAddress: '1 Main St',
    waitMs: 0,
  });
  return orderId;
}

async function stockReserved(orderId: string, opts: { broken?: boolean } = {}): Promise<AnyEnvelope> {
  const reserve = await eventually(() => {
    const c = h.commands.find((e) => e.key === orderId && e.type === 'inventory.reserve');
    expect(c).toBeDefined();
    return c!;
  });
  const lines = (reserve.data as { lines: Array<{ line_id: string; product_id: string; size: string | null; quantity: number }> }).lines;
  const e = createEnvelope('stock.reserved', orderId, { order_id: orderId, lines: lines.map((l) => ({ ...l, reservation_id: randomUUID() })) }) as AnyEnvelope;
  if (opts.broken) broken.add(e.id);
  await h.publishEnvelope('inventory.events', e);
  return e;
}

async function orderStatus(orderId: string): Promise<string> {
  return (await h.c.db.order.findUniqueOrThrow({ where: { id: orderId } })).status;
}

async function parkedFor(eventId: string) {
  return eventually(
    async () => {
      const res = await app.inject({ method: 'GET', url: `${PARKED}/?status=parked`, headers: { authorization: admin } });
      expect(res.statusCode).toBe(200);
      const item = res.json<{ items: Array<Record<string, unknown>> }>().items.find((i) => i.event_id === eventId);
      expect(item).toBeDefined();
      return item as Record<string, any>;
    },
    { timeoutMs: 30000 },
  );
}

async function parkedTotal(consumer: string, topic: string): Promise<number> {
  const metric = await metricsRegistry.getSingleMetric('kafka_messages_parked_total')!.get();
  return metric.values.find((v) => v.labels.consumer === consumer && v.labels.topic === topic)?.value ?? 0;
}

it('parks a reply the saga always fails on, moves on to the next order on the topic, and a retry after the fix applies it once', async () => {
  const poisoned = await placeOrder();
  const other = await placeOrder();
  const poison = await stockReserved(poisoned, { broken: true });
  // A later reply on the same topic is handled (the consumer is not stuck retrying the poison).
  await stockReserved(other);
  await eventually(async () => expect(await orderStatus(other)).toBe('under_paying'), { timeoutMs: 30000 });

  const item = await parkedFor(poison.id);
  const topic = topicName(h.prefix, 'inventory.events');
  expect(item).toMatchObject({
    consumer: expect.stringContaining('order-saga'),
    topic,
    key: poisoned,
    type: 'stock.reserved',
    status: 'parked',
    attempts: 3,
    envelope: { id: poison.id, data: { order_id: poisoned } },
    error: { class: 'unknown', name: 'TypeError' },
  });
  expect(await parkedTotal(item.consumer, topic)).toBeGreaterThanOrEqual(1);
  expect(await orderStatus(poisoned)).toBe('pending');

  // Admins only.
  expect((await app.inject({ method: 'GET', url: `${PARKED}/` })).statusCode).toBe(401);
  expect((await app.inject({ method: 'GET', url: `${PARKED}/`, headers: { authorization: buyer } })).statusCode).toBe(403);
  const byBuyer = await app.inject({ method: 'POST', url: `${PARKED}/${item.id}/retry`, headers: { authorization: buyer }, payload: { note: '' } });
  expect(byBuyer.statusCode).toBe(403);

  // Still broken: the retry fails, is recorded, and the message stays parked.
  const failed = await app.inject({ method: 'POST', url: `${PARKED}/${item.id}/retry`, headers: { authorization: admin }, payload: { note: 'try' } });
  expect(failed.statusCode).toBe(422);
  expect(failed.json().error.code).toBe('PARKED_MESSAGE_RETRY_FAILED');
  const afterFail = await app.inject({ method: 'GET', url: `${PARKED}/${item.id}`, headers: { authorization: admin } });
  expect(afterFail.json()).toMatchObject({ status: 'parked', retry_count: 1, last_retry_by: `${operatorId} (admin)` });

  // Fixed: the retry runs the saga's own handler on the stored reply.
  broken.delete(poison.id);
  const retried = await app.inject({
    method: 'POST',
    url: `${PARKED}/${item.id}/retry`,
    headers: { authorization: admin },
    payload: { note: 'fixed the lines parser' },
  });
  expect(retried.statusCode).toBe(200);
  expect(retried.json()).toMatchObject({ status: 'retried', resolved_by: `${operatorId} (admin)`, resolution_note: 'fixed the lines parser', retry_count: 2 });
  expect(await orderStatus(poisoned)).toBe('under_paying');
  const steps = await h.c.db.sagaStepLog.count({ where: { orderId: poisoned, type: 'stock.reserved' } });
  expect(steps).toBe(1);

  const again = await app.inject({ method: 'POST', url: `${PARKED}/${item.id}/retry`, headers: { authorization: admin }, payload: { note: '' } });
  expect(again.statusCode).toBe(409);
  expect(again.json().error.code).toBe('PARKED_MESSAGE_RESOLVED');
  expect(await h.c.db.sagaStepLog.count({ where: { orderId: poisoned, type: 'stock.reserved' } })).toBe(1);
});

it('discard keeps the message with who, when and why; bad input gets stable codes', async () => {
  const orderId = await placeOrder();
  const poison = await stockReserved(orderId, { broken: true });
  const item = await parkedFor(poison.id);

  const noReason = await app.inject({ method: 'POST', url: `${PARKED}/${item.id}/discard`, headers: { authorization: admin }, payload: {} });
  expect(noReason.statusCode).toBe(400);
  const blank = await app.inject({ method: 'POST', url: `${PARKED}/${item.id}/discard`, headers: { authorization: admin }, payload: { reason: '   ' } });
  expect(blank.statusCode).toBe(400);
  expect(blank.json().error.code).toBe('DISCARD_REASON_REQUIRED');

  const res = await app.inject({
    method: 'POST',
    url: `${PARKED}/${item.id}/discard`,
    headers: { authorization: admin },
    payload: { reason: 'order cancelled by the buyer meanwhile' },
  });
  expect(res.statusCode).toBe(200);
  const body = res.json();
  expect(body).toMatchObject({ status: 'discarded', resolved_by: `${operatorId} (admin)`, resolution_note: 'order cancelled by the buyer meanwhile' });
  expect(Date.parse(body.resolved_at)).toBeGreaterThan(Date.parse(body.parked_at) - 1);
  const listed = await app.inject({ method: 'GET', url: `${PARKED}/?status=discarded`, headers: { authorization: admin } });
  expect(listed.json<{ items: Array<{ id: string }> }>().items.map((i) => i.id)).toContain(item.id);
  const retry = await app.inject({ method: 'POST', url: `${PARKED}/${item.id}/retry`, headers: { authorization: admin }, payload: { note: '' } });
  expect(retry.statusCode).toBe(409);
  expect(await orderStatus(orderId)).toBe('pending');

  const missing = await app.inject({ method: 'GET', url: `${PARKED}/123456789`, headers: { authorization: admin } });
  expect(missing.statusCode).toBe(404);
  expect(missing.json().error.code).toBe('PARKED_MESSAGE_NOT_FOUND');
  expect((await app.inject({ method: 'GET', url: `${PARKED}/not-a-number`, headers: { authorization: admin } })).json().error.code).toBe(
    'PARKED_MESSAGE_NOT_FOUND',
  );
  expect((await app.inject({ method: 'GET', url: `${PARKED}/?status=bogus`, headers: { authorization: admin } })).statusCode).toBe(400);
});

it("the saga dashboard lists every service's parked messages with retry and discard", async () => {
  const page = await app.inject({ method: 'GET', url: '/admin/sagas/' });
  expect(page.body).toContain('id="parked-messages"');
  const js = (await app.inject({ method: 'GET', url: '/admin/sagas/assets/dashboard.js' })).body;
  for (const path of ['/api/v1/orders/', '/api/v1/products/', '/api/v1/carts/', '/api/v1/payments/']) expect(js).toContain(`${path}admin/parked-messages`);
  expect(js).toContain('data-parked-action="retry"');
  expect(js).toContain('data-parked-action="discard"');
});
