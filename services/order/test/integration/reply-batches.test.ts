import { randomUUID } from 'node:crypto';
import { createEnvelope, type Envelope, type MessageType, type MessageTypes, type Sql } from '@sudamall/shared';
import { SYSTEM } from '../../src/app/ports';
import { PrismaUnitOfWork } from '../../src/infra/checkout-store';
import { createHotPathSql } from '../../src/infra/hot-path-sql';
import { SAGA_INBOX_CONSUMER } from '../../src/infra/saga-consumer';
import { startHarness, type Harness } from '../fixtures/harness';

// Saga replies fetched together (issue 15): HandleSagaReply.executeBatch puts each run of
// checkout replies through ONE transaction (one claim-and-lock statement, the decisions' statements,
// one commit) on real PostgreSQL. Whatever the batching, the outcome must be the one the same
// replies give one at a time: same statuses, saga, step log and outbox, each reply applied once.

let h: Harness;
let sql: Sql;
beforeAll(async () => {
  h = await startHarness({ kafka: false, env: { PLACE_ORDER_WAIT_MS: '0' } });
  sql = createHotPathSql(h.c.config.DATABASE_URL, 4);
});
afterAll(async () => {
  await sql?.close();
  await h?.close();
});

const inline = <T>(fn: () => T): T => fn();
const asBatch = (envelopes: Envelope[]) => envelopes.map((envelope) => ({ envelope, within: inline }));
const oneByOne = async (envelopes: Envelope[]) => {
  for (const e of envelopes) await h.c.useCases.handleSagaReply.execute(e);
};
const envelope = <T extends MessageType>(type: T, data: MessageTypes[T]) => createEnvelope(type, (data as { order_id: string }).order_id, data);

async function place() {
  const product = h.catalog.add({ price: '12.50' });
  const { orderId } = await h.c.useCases.placeOrder.execute({
    userId: randomUUID(),
    idempotencyKey: randomUUID(),
    items: [{ productId: product.id, quantity: 2 }],
    shippingAddress: '9 Batch Rd',
    waitMs: 0,
  });
  return orderId;
}

async function reserved(orderId: string) {
  const items = await h.c.db.orderItem.findMany({ where: { orderId } });
  return envelope('stock.reserved', {
    order_id: orderId,
    lines: items.map((i) => ({ line_id: i.id, product_id: i.productId, size: i.size, quantity: i.quantity, reservation_id: randomUUID() })),
  });
}

async function paid(orderId: string) {
  const order = await h.c.db.order.findUniqueOrThrow({ where: { id: orderId } });
  const amount = order.totalAmount.toFixed(2);
  return envelope('payment.succeeded', {
    payment_id: randomUUID(),
    order_id: orderId,
    user_id: order.userId,
    gateway: 'test_gateway',
    amount,
    gateway_fee: '0.00',
    total_amount: amount,
  });
}

/** What a reply leaves behind, without ids and times: comparable between two orders. */
async function footprint(orderId: string) {
  const order = await h.c.db.order.findUniqueOrThrow({ where: { id: orderId }, include: { saga: true, history: { orderBy: { id: 'asc' } } } });
  const log = await h.c.db.sagaStepLog.findMany({ where: { orderId }, orderBy: { id: 'asc' } });
  const outbox = await h.c.db.outboxMessage.findMany({ where: { key: orderId }, orderBy: { id: 'asc' } });
  return {
    status: order.status,
    history: order.history.map((x) => [x.fromStatus, x.toStatus, x.actorRole]),
    saga: { state: order.saga?.state, step: order.saga?.currentStep, attempts: order.saga?.attempts, stuck: order.saga?.stuck },
    log: log.map((e) => [e.step, e.kind, e.type]),
    outbox: outbox.map((m) => [m.topic, m.type]),
  };
}

const inboxCount = (eventIds: string[]) => h.c.db.inboxMessage.count({ where: { eventId: { in: eventIds } } });

it('applies a batch as the same replies one at a time would: several orders, an order twice, a redelivery, an unknown order', async () => {
  const [a, b, c, controlA, controlB, controlC] = await Promise.all([place(), place(), place(), place(), place(), place()]);
  const ra = await reserved(a);
  const batch = [ra, await reserved(b), await paid(a), ra, await reserved(c), envelope('stock.released', { order_id: randomUUID(), reason: 'expired' })];
  const control = [await reserved(controlA), await reserved(controlB), await paid(controlA), await reserved(controlC)];

  await h.c.useCases.handleSagaReply.executeBatch(asBatch(batch));
  await oneByOne(control);

  expect(await footprint(a)).toEqual(await footprint(controlA));
  expect(await footprint(b)).toEqual(await footprint(controlB));
  expect(await footprint(c)).toEqual(await footprint(controlC));
  // a paid (awaiting its stock's confirmation), b and c awaiting payment.
  expect((await footprint(a)).log.at(-1)).toEqual(['confirm_stock', 'command', 'inventory.confirm']);
  expect((await footprint(b)).status).toBe('under_paying');
  // Each distinct reply claimed once (the redelivered one once), the unknown order's too.
  expect(await inboxCount(batch.map((e) => e.id))).toBe(5);

  // The whole batch again (a redelivery after a crash): nothing changes.
  const before = await Promise.all([a, b, c].map(footprint));
  await h.c.useCases.handleSagaReply.executeBatch(asBatch(batch));
  expect(await Promise.all([a, b, c].map(footprint))).toEqual(before);
});

it('commits nothing of a batch when one decision is refused (order_assert), the claims included', async () => {
  const uow = new PrismaUnitOfWork(h.c.db, h.clock, sql);
  const [a, b] = await Promise.all([place(), place()]);
  const events = [randomUUID(), randomUUID()];
  const sagaOf = async (orderId: string) => (await h.c.db.sagaInstance.findUniqueOrThrow({ where: { orderId } })).attempts;
  const attemptsBefore = [await sagaOf(a), await sagaOf(b)];
  await expect(
    uow.runReplies(async (tx) => {
      const locked = await tx.claimAndLockSagas(SAGA_INBOX_CONSUMER, [
        { eventId: events[0], orderId: a },
        { eventId: events[1], orderId: b },
      ]);
      const writes = locked.map((l, n) => {
        if (!l || l === 'duplicate') throw new Error('expected both locked');
        const saga = { ...l.saga, attempts: l.saga.attempts + 7 };
        // The second claims a status its order (pending) is not in: the statement refuses it.
        const status = n === 1 ? { from: 'under_paying' as const, change: { to: 'processing' as const }, by: SYSTEM } : undefined;
        return { orderId: l.order.id, saga, log: [], outbox: [], status };
      });
      await tx.applyDecisions(writes);
    }),
  ).rejects.toThrow(/is no longer under_paying/);
  expect(await inboxCount(events)).toBe(0);
  expect([await sagaOf(a), await sagaOf(b)]).toEqual(attemptsBefore);
});

it('two batches holding the same orders in opposite orders both finish', async () => {
  const orders = await Promise.all(Array.from({ length: 6 }, () => place()));
  for (let round = 0; round < 10; round++) {
    // Replies the saga has no step for by now are still claimed and locked, which is what is under test.
    const forward = await Promise.all(orders.map(reserved));
    const backward = (await Promise.all(orders.map(reserved))).reverse();
    await Promise.all([h.c.useCases.handleSagaReply.executeBatch(asBatch(forward)), h.c.useCases.handleSagaReply.executeBatch(asBatch(backward))]);
    expect(await inboxCount([...forward, ...backward].map((e) => e.id))).toBe(12);
  }
  for (const o of orders) expect((await footprint(o)).status).toBe('under_paying');
});
