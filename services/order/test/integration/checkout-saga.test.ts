import { randomUUID } from 'node:crypto';
import { createEnvelope, type AnyEnvelope } from '@sudamall/shared';
import { eventually } from '@sudamall/shared/testing';
import { startHarness, type Harness } from '../fixtures/harness';

// The checkout saga end to end on real PostgreSQL and Kafka; the test plays inventory and
// payment: it reads their command topics and publishes their replies.

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const commandsFor = (orderId: string, type: string) => h.commands.filter((e) => e.key === orderId && e.type === type);

async function place(opts: { key?: string; waitMs?: number; quantity?: number } = {}) {
  const product = h.catalog.add({ price: '12.50' });
  const sized = h.catalog.add({ price: '7.25', hasSizes: true, sizes: ['S', 'M'], storeId: 'store-b' });
  const userId = randomUUID();
  const input = {
    userId,
    idempotencyKey: opts.key ?? randomUUID(),
    items: [
      { productId: product.id, quantity: opts.quantity ?? 2 },
      { productId: sized.id, quantity: 1, size: 'M' },
    ],
    shippingAddress: '1 Main St',
    waitMs: opts.waitMs ?? 0,
  };
  const { orderId, replayed } = await h.c.useCases.placeOrder.execute(input);
  return { orderId, replayed, input, userId, product, sized };
}

async function orderRow(orderId: string) {
  return h.c.db.order.findUniqueOrThrow({ where: { id: orderId }, include: { saga: true, history: true, items: true } });
}

async function reserved(orderId: string): Promise<AnyEnvelope> {
  const [reserve] = await eventually(() => {
    const list = commandsFor(orderId, 'inventory.reserve');
    expect(list.length).toBeGreaterThan(0);
    return list;
  });
  const data = reserve.data as { lines: Array<{ line_id: string; product_id: string; size: string | null; quantity: number }> };
  return h.publish('inventory.events', 'stock.reserved', { order_id: orderId, lines: data.lines.map((l) => ({ ...l, reservation_id: randomUUID() })) });
}

async function untilStatus(orderId: string, status: string) {
  return eventually(async () => {
    const o = await orderRow(orderId);
    expect(o.status).toBe(status);
    return o;
  });
}

const paid = (orderId: string, userId: string) => ({
  payment_id: randomUUID(),
  order_id: orderId,
  user_id: userId,
  gateway: 'test_gateway',
  amount: '32.25',
  gateway_fee: '0.00',
  total_amount: '32.25',
});

it('PlaceOrder writes order, items, saga and inventory.reserve once; a retry with the same key returns the same order', async () => {
  const first = await place();
  const again = await h.c.useCases.placeOrder.execute(first.input);
  expect(again).toEqual({ orderId: first.orderId, replayed: true });
  expect(await h.c.db.order.count({ where: { userId: first.userId } })).toBe(1);
  const o = await orderRow(first.orderId);
  expect(o.status).toBe('pending');
  expect(o.totalAmount.toFixed(2)).toBe('32.25'); // 2 × 12.50 + 7.25, in decimal
  expect(o.storeIds).toEqual(['store-a', 'store-b']);
  expect(o.items.every((i) => i.snapshotId && i.productSnapshot)).toBe(true);
  expect(o.saga).toMatchObject({ state: 'reserving', currentStep: 'reserve_stock' });
  const reserve = await eventually(() => {
    const list = commandsFor(first.orderId, 'inventory.reserve');
    expect(list).toHaveLength(1);
    return list[0];
  });
  expect((reserve.data as { lines: unknown[] }).lines).toHaveLength(2);
});

it('concurrent PlaceOrder calls with one key make one order', async () => {
  const product = h.catalog.add();
  const input = { userId: randomUUID(), idempotencyKey: randomUUID(), items: [{ productId: product.id, quantity: 1 }], shippingAddress: 'x', waitMs: 0 };
  const results = await Promise.all(Array.from({ length: 5 }, () => h.c.useCases.placeOrder.execute(input)));
  expect(new Set(results.map((r) => r.orderId)).size).toBe(1);
  expect(results.filter((r) => !r.replayed)).toHaveLength(1);
  expect(await h.c.db.order.count({ where: { userId: input.userId } })).toBe(1);
});

it('refuses unknown products and bad sizes up front, writing nothing', async () => {
  const sized = h.catalog.add({ hasSizes: true, sizes: ['S'] });
  const plain = h.catalog.add();
  const userId = randomUUID();
  const base = { userId, idempotencyKey: randomUUID(), shippingAddress: 'x', waitMs: 0 };
  await expect(h.c.useCases.placeOrder.execute({ ...base, items: [{ productId: randomUUID(), quantity: 1 }] })).rejects.toMatchObject({
    code: 'PRODUCT_NOT_FOUND',
    kind: 'not_found',
  });
  await expect(h.c.useCases.placeOrder.execute({ ...base, items: [{ productId: sized.id, quantity: 1 }] })).rejects.toMatchObject({
    code: 'SIZE_REQUIRED',
    kind: 'invalid',
  });
  await expect(h.c.useCases.placeOrder.execute({ ...base, items: [{ productId: sized.id, quantity: 1, size: 'XL' }] })).rejects.toMatchObject({
    code: 'SIZE_NOT_FOUND',
  });
  await expect(h.c.useCases.placeOrder.execute({ ...base, items: [{ productId: plain.id, quantity: 1, size: 'M' }] })).rejects.toMatchObject({
    code: 'SIZE_NOT_ALLOWED',
  });
  expect(await h.c.db.order.count({ where: { userId } })).toBe(0);
});

it('places with ONE catalogue call, deciding from the snapshots; an older inventory (snapshots without the product state) is asked GetProducts too', async () => {
  const sized = h.catalog.add({ hasSizes: true, sizes: ['M', 'S'] });
  const gone = h.catalog.add({ deleted: true });
  const userId = randomUUID();
  const base = { userId, shippingAddress: 'x', waitMs: 0 };
  const place = (items: Array<{ productId: string; quantity: number; size?: string }>) =>
    h.c.useCases.placeOrder.execute({ ...base, idempotencyKey: randomUUID(), items });
  for (const older of [false, true]) {
    h.catalog.olderInventory = older;
    h.catalog.snapshotCalls = 0;
    h.catalog.getProductsCalls = 0;
    await expect(place([{ productId: sized.id, quantity: 1, size: 'XL' }])).rejects.toMatchObject({
      code: 'SIZE_NOT_FOUND',
      details: { product_id: sized.id, size: 'XL', sizes: ['M', 'S'] },
    });
    // The first refusable line decides, in the request's order.
    await expect(
      place([
        { productId: sized.id, quantity: 1, size: 'S' },
        { productId: gone.id, quantity: 1 },
      ]),
    ).rejects.toMatchObject({
      code: 'PRODUCT_UNAVAILABLE',
      details: { product_id: gone.id },
    });
    const unknown = randomUUID();
    await expect(
      place([
        { productId: sized.id, quantity: 1, size: 'S' },
        { productId: unknown, quantity: 1 },
      ]),
    ).rejects.toMatchObject({
      code: 'PRODUCT_NOT_FOUND',
      details: { missing_ids: [unknown] },
    });
    const { orderId } = await place([{ productId: sized.id, quantity: 2, size: 'M' }]);
    expect((await orderRow(orderId)).items.map((i) => [i.size, i.quantity])).toEqual([['M', 2]]);
    expect(h.catalog.snapshotCalls).toBe(4);
    // Unknown ids are answered by CreateSnapshots itself: GetProducts only for the three it froze.
    expect(h.catalog.getProductsCalls).toBe(older ? 3 : 0);
  }
  h.catalog.olderInventory = false;
  expect(await h.c.db.order.count({ where: { userId } })).toBe(2);
});

it('stock.reserved → under_paying with a deadline one payment window away; PlaceOrder with wait_ms returns it', async () => {
  const product = h.catalog.add();
  const userId = randomUUID();
  const placing = h.c.useCases.placeOrder.execute({
    userId,
    idempotencyKey: randomUUID(),
    items: [{ productId: product.id, quantity: 1 }],
    shippingAddress: 'x',
    waitMs: 15000,
  });
  // Answer the reserve as inventory would, while PlaceOrder waits.
  const order = await eventually(async () => h.c.db.order.findFirstOrThrow({ where: { userId } }));
  const before = Date.now();
  await reserved(order.id);
  const { orderId } = await placing;
  const o = await orderRow(orderId);
  expect(o.status).toBe('under_paying');
  expect(o.saga?.state).toBe('awaiting_payment');
  const expires = o.paymentExpiresAt!.getTime();
  expect(expires).toBeGreaterThanOrEqual(before + 900_000 - 1000);
  expect(expires).toBeLessThanOrEqual(Date.now() + 900_000 + 1000);
  expect(o.history.map((x) => x.toStatus)).toEqual(['pending', 'under_paying']);
});

it('stock.rejected → cancelled (insufficient_stock) with the short lines', async () => {
  const { orderId, product } = await place({ quantity: 50 });
  await eventually(() => expect(commandsFor(orderId, 'inventory.reserve')).toHaveLength(1));
  const line = (await orderRow(orderId)).items.find((i) => i.productId === product.id)!;
  const short = [{ line_id: line.id, product_id: product.id, size: null, requested: 50, available: 3, code: 'INSUFFICIENT_STOCK' }];
  await h.publish('inventory.events', 'stock.rejected', { order_id: orderId, code: 'INSUFFICIENT_STOCK', short_lines: short });
  const o = await untilStatus(orderId, 'cancelled');
  expect(o.cancelReason).toBe('insufficient_stock');
  expect(o.shortLines).toEqual(short);
  expect(o.saga?.state).toBe('compensated');
});

it('payment.succeeded → inventory.confirm → stock.confirmed → processing', async () => {
  const { orderId, userId } = await place();
  await reserved(orderId);
  await untilStatus(orderId, 'under_paying');
  await h.publish('payment.events', 'payment.succeeded', paid(orderId, userId));
  await eventually(() => expect(commandsFor(orderId, 'inventory.confirm')).toHaveLength(1));
  expect((await orderRow(orderId)).saga?.state).toBe('confirming');
  await h.publish('inventory.events', 'stock.confirmed', { order_id: orderId });
  const o = await untilStatus(orderId, 'processing');
  expect(o.saga?.state).toBe('done');
});

it('payment.failed leaves the order under_paying', async () => {
  const { orderId } = await place();
  await reserved(orderId);
  await untilStatus(orderId, 'under_paying');
  const e = await h.publish('payment.events', 'payment.failed', { payment_id: randomUUID(), order_id: orderId, attempt_number: 1, reason: 'card_declined' });
  await eventually(async () => expect(await h.c.db.inboxMessage.count({ where: { eventId: e.id } })).toBe(1));
  const o = await orderRow(orderId);
  expect(o.status).toBe('under_paying');
  expect(o.saga?.state).toBe('awaiting_payment');
});

it('expiry: past the deadline the sweeper sends inventory.release + payment.void and cancels (payment_timeout); a later payment is refunded', async () => {
  const { orderId, userId } = await place();
  await reserved(orderId);
  await untilStatus(orderId, 'under_paying');
  h.clock.offsetMs = 901_000; // the 15-minute window has passed
  try {
    const o = await untilStatus(orderId, 'cancelled');
    expect(o.cancelReason).toBe('payment_timeout');
  } finally {
    h.clock.offsetMs = 0;
  }
  await eventually(() => {
    expect(commandsFor(orderId, 'inventory.release')).toHaveLength(1);
    expect(commandsFor(orderId, 'payment.void')).toHaveLength(1);
  });
  expect(commandsFor(orderId, 'inventory.release')[0].data).toMatchObject({ order_id: orderId, reason: 'payment_timeout' });

  await h.publish('payment.events', 'payment.succeeded', paid(orderId, userId));
  await eventually(() => expect(commandsFor(orderId, 'payment.refund')).toHaveLength(1));
  const o = await orderRow(orderId);
  expect(o.status).toBe('cancelled');
  expect(o.saga?.state).toBe('compensating');
});

it('a replayed event (same envelope twice) changes nothing', async () => {
  const { orderId, userId } = await place();
  await reserved(orderId);
  await untilStatus(orderId, 'under_paying');
  const envelope = createEnvelope('payment.succeeded', orderId, paid(orderId, userId)) as AnyEnvelope;
  await h.publishEnvelope('payment.events', envelope);
  await eventually(() => expect(commandsFor(orderId, 'inventory.confirm')).toHaveLength(1));
  const before = await orderRow(orderId);
  const logBefore = await h.c.db.sagaStepLog.count({ where: { orderId } });
  await h.publishEnvelope('payment.events', envelope);
  // A marker behind the replay on the same partition proves the replay was consumed.
  const marker = await h.publish('payment.events', 'payment.failed', { payment_id: randomUUID(), order_id: orderId, attempt_number: 9, reason: 'marker' });
  await eventually(async () => expect(await h.c.db.inboxMessage.count({ where: { eventId: marker.id } })).toBe(1));
  const after = await orderRow(orderId);
  expect(after.saga?.state).toBe(before.saga?.state);
  expect(after.history).toHaveLength(before.history.length);
  expect(commandsFor(orderId, 'inventory.confirm')).toHaveLength(1);
  expect(await h.c.db.sagaStepLog.count({ where: { orderId } })).toBe(logBefore + 1); // only the marker
});

it('an unanswered command is re-sent from the saga state', async () => {
  const { orderId } = await place();
  await h.c.db.sagaInstance.update({ where: { orderId }, data: { nextRetryAt: new Date(Date.now() - 1) } });
  await eventually(() => expect(commandsFor(orderId, 'inventory.reserve').length).toBeGreaterThanOrEqual(2));
  const saga = await h.c.db.sagaInstance.findUniqueOrThrow({ where: { orderId } });
  expect(saga.attempts).toBeGreaterThanOrEqual(2);
  expect(await h.c.db.sagaStepLog.count({ where: { orderId, kind: 'retry' } })).toBeGreaterThanOrEqual(1);
});

it('a service stopped mid-saga finishes it after a restart (state in the database, replies waiting in Kafka)', async () => {
  const { orderId, userId } = await place();
  await eventually(() => expect(commandsFor(orderId, 'inventory.reserve')).toHaveLength(1));
  await h.stop();
  // While the order service is down, inventory reserves and the buyer pays.
  await reserved(orderId);
  await h.publish('payment.events', 'payment.succeeded', paid(orderId, userId));
  await h.restart();
  await eventually(() => expect(commandsFor(orderId, 'inventory.confirm')).toHaveLength(1), { timeoutMs: 30000 });
  await h.publish('inventory.events', 'stock.confirmed', { order_id: orderId });
  const o = await untilStatus(orderId, 'processing');
  expect(o.history.map((x) => x.toStatus)).toEqual(['pending', 'under_paying', 'processing']);
});
