import { randomUUID } from 'node:crypto';
import { createEnvelope, type MessageType, type MessageTypes } from '@sudamall/shared';
import { SAGA_INBOX_CONSUMER } from '../../src/infra/saga-consumer';
import { startHarness, type Harness } from '../fixtures/harness';

// The order's whole view is read in one SQL statement (OrderStore.getDetail, issue 15): it must be
// the very record Prisma's include gave, field for field, in every state the checkout leaves it.

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ kafka: false, env: { PLACE_ORDER_WAIT_MS: '0' } });
});
afterAll(async () => {
  await h?.close();
});

async function reply<T extends MessageType>(type: T, data: MessageTypes[T]) {
  await h.c.useCases.saga.handleReply(SAGA_INBOX_CONSUMER, createEnvelope(type, (data as { order_id: string }).order_id, data));
}

/** What getDetail returned before: Prisma's include, plus the latest cancellation of a paid order. */
async function prismaDetail(orderId: string) {
  const o = await h.c.db.order.findUniqueOrThrow({
    where: { id: orderId },
    include: { items: { orderBy: { productId: 'asc' } }, fulfillments: { orderBy: { storeId: 'asc' } }, history: { orderBy: { id: 'asc' } }, saga: true },
  });
  const cancellation =
    o.status === 'pending' || o.status === 'under_paying'
      ? null
      : await h.c.db.orderAdjustment.findFirst({ where: { orderId, kind: 'cancellation' }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
  return { ...o, cancellation };
}

async function place() {
  const a = h.catalog.add({ price: '10.10', storeId: `store-a-${randomUUID()}` });
  const b = h.catalog.add({ price: '5.25', storeId: `store-b-${randomUUID()}`, hasSizes: true, sizes: ['S', 'M'] });
  const { orderId } = await h.c.useCases.placeOrder.execute({
    userId: randomUUID(),
    idempotencyKey: randomUUID(),
    items: [
      { productId: a.id, quantity: 2 },
      { productId: b.id, quantity: 1, size: 'M' },
      { productId: b.id, quantity: 3, size: 'S' },
    ],
    shippingAddress: '5 Quay St',
    notes: 'ring twice',
    waitMs: 0,
  });
  const items = await h.c.db.orderItem.findMany({ where: { orderId } });
  return { orderId, items };
}

const expectSame = async (orderId: string) => {
  const expected = await prismaDetail(orderId);
  expect(await h.c.useCases.store.getDetail(orderId)).toEqual(expected);
  const { history: _h, saga: _s, ...order } = expected;
  expect(await h.c.useCases.store.getOrder(orderId)).toEqual(order);
};

it('is the record Prisma gave: pending, under_paying, cancelled with short lines, paid with a cancellation after payment', async () => {
  const pending = await place();
  await expectSame(pending.orderId);

  const rejected = await place();
  const line = rejected.items[0];
  const short = [{ line_id: line.id, product_id: line.productId, size: line.size, requested: 2, available: 1, code: 'INSUFFICIENT_STOCK' }];
  await reply('stock.rejected', { order_id: rejected.orderId, code: 'INSUFFICIENT_STOCK', short_lines: short });
  await expectSame(rejected.orderId);

  const paid = await place();
  await reply('stock.reserved', {
    order_id: paid.orderId,
    lines: paid.items.map((i) => ({ line_id: i.id, product_id: i.productId, size: i.size, quantity: i.quantity, reservation_id: randomUUID() })),
  });
  await expectSame(paid.orderId);
  const order = await h.c.db.order.findUniqueOrThrow({ where: { id: paid.orderId } });
  await reply('payment.succeeded', {
    payment_id: randomUUID(),
    order_id: paid.orderId,
    user_id: order.userId,
    gateway: 'test_gateway',
    amount: order.totalAmount.toFixed(2),
    gateway_fee: '0.00',
    total_amount: order.totalAmount.toFixed(2),
  });
  await reply('stock.confirmed', { order_id: paid.orderId });
  await expectSame(paid.orderId);
  // Two cancellations after payment (the latest is shown), with every nullable field set in one.
  for (const [i, refunded] of [null, '12.34'].entries()) {
    await h.c.db.orderAdjustment.create({
      data: {
        id: randomUUID(),
        orderId: paid.orderId,
        kind: 'cancellation',
        storeId: i === 1 ? order.storeIds[0] : null,
        status: i === 1 ? 'completed' : 'refunding',
        reason: 'changed_mind',
        refundAmount: refunded,
        refundedAmount: refunded,
        refundId: refunded && randomUUID(),
        lines: [{ line_id: paid.items[0].id, quantity: 1 }],
        requestedBy: order.userId,
        requestedRole: 'buyer',
        createdAt: new Date(Date.now() + i * 1000),
        completedAt: refunded ? new Date() : null,
        nextRetryAt: new Date(),
        lastError: 'x',
      },
    });
  }
  await h.c.db.fulfillment.updateMany({
    where: { orderId: paid.orderId },
    data: { trackingNumber: 'T1', shippedAt: new Date(), collectedAt: new Date(), collectedAmount: '3.30' },
  });
  await expectSame(paid.orderId);
  expect((await h.c.useCases.store.getDetail(paid.orderId))?.cancellation?.status).toBe('completed');
});

it('is null for an unknown or malformed id', async () => {
  expect(await h.c.useCases.store.getDetail(randomUUID())).toBeNull();
  expect(await h.c.useCases.store.getDetail('nope')).toBeNull();
});
