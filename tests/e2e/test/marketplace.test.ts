// Issue 13's marketplace after checkout, end to end through the nginx gateway (rendered by
// scripts/lib/gateway.sh as in gateway.test.ts) in front of the four real services: two stores
// each list a product; a buyer orders from both in one order and pays on the test gateway; each
// store's seller lists its orders and sees only its own part; store A ships and delivers while
// store B cancels its part after payment (its lines and its share of the gateway fee refunded,
// its units back to available); the buyer returns one delivered unit of A (approved with restock:
// the line and its fraction of A's fee share refunded, the unit back); a second paid order
// cancelled whole by its buyer is refunded everything paid and its stock restored. The sagas run
// over Kafka, so every outcome is polled for with a bounded wait; the invariant checker then
// reads the four databases. Every call goes through the storefront's typed client
// (@sudamall/client) with the gateway as its one base URL.
import { randomUUID } from 'node:crypto';
import { createSudamallClient, type SudamallClient } from '@sudamall/client';
import { testToken } from '@sudamall/shared/testing';
import { formatReport, settleAndCheck } from './invariants';
import { eventuallyValue, expectStatus, startPlatform, type Platform, startGateway, type Gateway } from './platform';

/** A saga step crosses Kafka twice (command, reply); a busy two-core machine gets this long. */
const SAGA_WAIT = { timeoutMs: 45_000, intervalMs: 300 };

let platform: Platform;
let gateway: Gateway;

beforeAll(async () => {
  platform = await startPlatform({ ownDatabases: true });
  gateway = await startGateway(platform, 'marketplace');
}, 120_000);

afterAll(async () => {
  gateway?.stop();
  await platform?.stop();
});

type Claims = { sub: string; role: 'buyer' | 'seller' | 'admin'; store_id?: string };
const clientAs = (claims: Claims): SudamallClient => createSudamallClient({ baseUrl: gateway.url, token: testToken(claims) });

// Money in integer cents, so the expected amounts are computed exactly.
const cents = (s: string) => Math.round(Number(s) * 100);
const money = (c: number) => (c / 100).toFixed(2);
/** round(n / d) half-up, for non-negative integers. */
const divHalfUp = (n: number, d: number) => Math.floor((2 * n + d) / (2 * d));

/**
 * The fee rule, written again from its words: stores in id order, each share is
 * round(fee × running subtotal / total) − round(fee × subtotals before / total), half-up to the
 * cent, so the shares add up to the fee.
 */
function feeSharesCents(feeCents: number, subtotals: Record<string, number>): Record<string, number> {
  const stores = Object.keys(subtotals).sort();
  const total = stores.reduce((n, s) => n + subtotals[s], 0);
  const shares: Record<string, number> = {};
  let running = 0;
  let before = 0;
  for (const s of stores) {
    running += subtotals[s];
    const upTo = divHalfUp(feeCents * running, total);
    shares[s] = upTo - before;
    before = upTo;
  }
  return shares;
}

test('two stores, one order: each seller sees its part; A delivers, B cancels after payment, a return, a second order cancelled whole', async () => {
  const tag = randomUUID().slice(0, 8);
  // Store ids chosen so A sorts before B (the fee shares go in store-id order).
  const storeA = `store-${tag}-a`;
  const storeB = `store-${tag}-b`;
  const sellerA = clientAs({ sub: `seller-a-${tag}`, role: 'seller', store_id: storeA });
  const sellerB = clientAs({ sub: `seller-b-${tag}`, role: 'seller', store_id: storeB });
  const buyer = clientAs({ sub: `buyer-${tag}`, role: 'buyer' });

  const list = (seller: SudamallClient, name: string, price: string, quantity: number) =>
    expectStatus(
      201,
      seller.inventory.POST('/api/v1/products', {
        body: {
          product_name: `${name} ${tag}`,
          product_description: 'marketplace e2e',
          price,
          category: 'Home',
          brand: 'Sudamall',
          has_sizes: false,
          available_quantity: quantity,
        },
      }),
    );
  const mug = await list(sellerA, 'Clay mug', '12.35', 10);
  const lamp = await list(sellerB, 'Brass lamp', '7.30', 6);
  const stockOf = async (id: string) => {
    const p = await expectStatus(200, sellerA.inventory.GET('/api/v1/products/{id}', { params: { path: { id } } }));
    return { available: p.available_quantity, reserved: p.reserved_quantity };
  };

  /** Places an order for the lines and pays it on the test gateway; waits until it is processing. */
  async function placeAndPay(items: Array<{ product_id: string; quantity: number }>) {
    const order = await expectStatus(201, buyer.order.POST('/api/v1/orders/create', { body: { items, shipping_address: '7 Blue Nile Rd, Khartoum' } }));
    const payment = await expectStatus(201, buyer.payment.POST('/api/v1/payments/create', { body: { order_id: order.order_id, gateway: 'test_gateway' } }));
    const paid = await expectStatus(
      200,
      buyer.payment.POST('/api/v1/payments/process', { body: { payment_id: payment.payment_id, card_number: '4242424242424242' } }),
    );
    expect(paid.outcome).toBe('succeeded');
    await eventuallyValue(
      () => getOrder(buyer, order.order_id),
      (o) => o.status === 'processing',
      SAGA_WAIT,
    );
    return { order, payment };
  }
  const getOrder = (who: SudamallClient, orderId: string) =>
    expectStatus(200, who.order.GET('/api/v1/orders/{order_id}', { params: { path: { order_id: orderId } } }));
  const paymentDetail = (paymentId: string) =>
    expectStatus(200, buyer.payment.GET('/api/v1/payments/detail/{payment_id}', { params: { path: { payment_id: paymentId } } }));

  // ---- One order with items of both stores, paid.
  const { order, payment } = await placeAndPay([
    { product_id: mug.id, quantity: 3 },
    { product_id: lamp.id, quantity: 2 },
  ]);
  const lineA = order.items.find((i) => i.product_id === mug.id)!;
  const lineB = order.items.find((i) => i.product_id === lamp.id)!;
  const subtotal = { [storeA]: 3 * 1235, [storeB]: 2 * 730 };
  expect(cents(payment.amount)).toBe(subtotal[storeA] + subtotal[storeB]);
  const fee = cents(payment.gateway_fee);
  expect(fee).toBeGreaterThan(0);
  const shares = feeSharesCents(fee, subtotal);
  expect(shares[storeA] + shares[storeB]).toBe(fee);
  expect(await stockOf(mug.id)).toEqual({ available: 7, reserved: 0 });
  expect(await stockOf(lamp.id)).toEqual({ available: 4, reserved: 0 });

  const asBuyer = await getOrder(buyer, order.order_id);
  expect(asBuyer.fulfillments.map((f) => [f.store_id, f.status, f.subtotal])).toEqual([
    [storeA, 'processing', money(subtotal[storeA])],
    [storeB, 'processing', money(subtotal[storeB])],
  ]);
  expect(asBuyer.cancellation).toBeNull();

  // ---- Each seller lists their store's orders and sees only its part.
  for (const [seller, store, line] of [
    [sellerA, storeA, lineA],
    [sellerB, storeB, lineB],
  ] as const) {
    const page = await expectStatus(200, seller.order.GET('/api/v1/orders'));
    expect(page.items.map((o) => o.order_id)).toEqual([order.order_id]);
    const part = page.items[0];
    expect(part.items.map((i) => i.item_id)).toEqual([line.item_id]);
    expect(part.fulfillments).toEqual([
      expect.objectContaining({ store_id: store, status: 'processing', items: [line.item_id], subtotal: money(subtotal[store]) }),
    ]);
    expect(part.total_amount).toBe(money(subtotal[store]));
    // The detail is the same part.
    const detail = await getOrder(seller, order.order_id);
    expect(detail.items.map((i) => i.item_id)).toEqual([line.item_id]);
  }

  // An admin finds the order by either store.
  const admin = clientAs({ sub: `admin-${tag}`, role: 'admin' });
  for (const store of [storeA, storeB]) {
    const found = await expectStatus(200, admin.order.GET('/api/v1/orders', { params: { query: { store_id: store } } }));
    expect(found.items.map((o) => o.order_id)).toEqual([order.order_id]);
  }

  // ---- Store A ships; store B cancels its part (still processing).
  const shipped = await expectStatus(
    200,
    sellerA.order.PUT('/api/v1/orders/{order_id}/status', {
      params: { path: { order_id: order.order_id } },
      body: { status: 'shipped', tracking_number: `TRK-${tag}` },
    }),
  );
  expect(shipped.order.fulfillments).toEqual([expect.objectContaining({ store_id: storeA, status: 'shipped', tracking_number: `TRK-${tag}` })]);

  const cancelled = await expectStatus(
    202,
    sellerB.order.POST('/api/v1/orders/{order_id}/cancel', {
      params: { path: { order_id: order.order_id } },
      body: { reason: 'out of stock after all' },
    }),
  );
  const partRefund = subtotal[storeB] + shares[storeB];
  expect(cancelled.order.cancellation).toMatchObject({ store_id: storeB, refund_amount: money(partRefund), reason: 'out of stock after all' });
  const afterCancel = await eventuallyValue(
    () => getOrder(buyer, order.order_id),
    (o) => o.cancellation?.status === 'completed',
    SAGA_WAIT,
  );
  expect(afterCancel.cancellation).toMatchObject({ store_id: storeB, refunded_amount: money(partRefund), stuck: false, completed_at: expect.any(String) });
  expect(afterCancel.fulfillments.map((f) => [f.store_id, f.status])).toEqual([
    [storeA, 'shipped'],
    [storeB, 'cancelled'],
  ]);
  // Only A's part is left, and it has shipped.
  expect(afterCancel.status).toBe('shipped');
  const refundedOnce = await paymentDetail(payment.payment_id);
  expect(refundedOnce).toMatchObject({ status: 'partially_refunded', refunded_amount: money(partRefund) });
  expect(refundedOnce.refunds.map((r) => r.amount)).toEqual([money(partRefund)]);
  expect(await stockOf(lamp.id)).toEqual({ available: 6, reserved: 0 });
  expect(await stockOf(mug.id)).toEqual({ available: 7, reserved: 0 });

  // ---- Store A delivers; the buyer returns one unit, seller A approves with restock.
  const delivered = await expectStatus(
    200,
    sellerA.order.PUT('/api/v1/orders/{order_id}/status', {
      params: { path: { order_id: order.order_id } },
      body: { status: 'delivered' },
    }),
  );
  expect(delivered.order.fulfillments).toEqual([expect.objectContaining({ store_id: storeA, status: 'delivered', delivered_at: expect.any(String) })]);
  expect((await getOrder(buyer, order.order_id)).status).toBe('delivered');

  const requested = await expectStatus(
    201,
    buyer.order.POST('/api/v1/orders/{order_id}/returns', {
      params: { path: { order_id: order.order_id } },
      body: { items: [{ item_id: lineA.item_id, quantity: 1 }], reason: 'chipped rim' },
    }),
  );
  expect(requested).toMatchObject({ status: 'requested', store_id: storeA, items: [{ item_id: lineA.item_id, quantity: 1 }] });
  // Store B's seller has no say on A's return.
  const foreign = await sellerB.order.POST('/api/v1/orders/{order_id}/returns/{return_id}/approve', {
    params: { path: { order_id: order.order_id, return_id: requested.return_id } },
    body: { restock: true },
  });
  expect(foreign.response.status).toBe(403);
  const approved = await expectStatus(
    202,
    sellerA.order.POST('/api/v1/orders/{order_id}/returns/{return_id}/approve', {
      params: { path: { order_id: order.order_id, return_id: requested.return_id } },
      body: { restock: true },
    }),
  );
  // The line's value plus the same fraction of A's fee share (half-up).
  const returnRefund = 1235 + divHalfUp(shares[storeA] * 1235, subtotal[storeA]);
  expect(approved).toMatchObject({ refund_amount: money(returnRefund), restock: true });
  const returns = await eventuallyValue(
    () => expectStatus(200, buyer.order.GET('/api/v1/orders/{order_id}/returns', { params: { path: { order_id: order.order_id } } })),
    (r) => r.items[0]?.status === 'completed',
    SAGA_WAIT,
  );
  expect(returns.items).toEqual([expect.objectContaining({ return_id: requested.return_id, status: 'completed', refunded_amount: money(returnRefund) })]);
  const refundedTwice = await paymentDetail(payment.payment_id);
  expect(refundedTwice).toMatchObject({ status: 'partially_refunded', refunded_amount: money(partRefund + returnRefund) });
  expect(await stockOf(mug.id)).toEqual({ available: 8, reserved: 0 });
  // A return is no cancellation: A's part stays delivered.
  const afterReturn = await getOrder(buyer, order.order_id);
  expect(afterReturn.fulfillments.map((f) => [f.store_id, f.status])).toEqual([
    [storeA, 'delivered'],
    [storeB, 'cancelled'],
  ]);

  // ---- A second paid order, cancelled whole by its buyer: everything paid back, every unit restocked.
  const second = await placeAndPay([
    { product_id: mug.id, quantity: 2 },
    { product_id: lamp.id, quantity: 1 },
  ]);
  expect(await stockOf(mug.id)).toEqual({ available: 6, reserved: 0 });
  expect(await stockOf(lamp.id)).toEqual({ available: 5, reserved: 0 });
  const whole = await expectStatus(
    202,
    buyer.order.POST('/api/v1/orders/{order_id}/cancel', {
      params: { path: { order_id: second.order.order_id } },
      body: { reason: 'changed my mind' },
    }),
  );
  expect(whole.order.cancellation).toMatchObject({ store_id: null, refund_amount: second.payment.total_amount });
  const gone = await eventuallyValue(
    () => getOrder(buyer, second.order.order_id),
    (o) => o.cancellation?.status === 'completed',
    SAGA_WAIT,
  );
  expect(gone).toMatchObject({ status: 'cancelled', cancellation: { refunded_amount: second.payment.total_amount } });
  expect(gone.fulfillments.map((f) => f.status)).toEqual(['cancelled', 'cancelled']);
  expect(await paymentDetail(second.payment.payment_id)).toMatchObject({ status: 'refunded', refunded_amount: second.payment.total_amount });
  expect(await stockOf(mug.id)).toEqual({ available: 8, reserved: 0 });
  expect(await stockOf(lamp.id)).toEqual({ available: 6, reserved: 0 });

  // ---- What the databases hold keeps every promise (stock, money, adjustments final).
  const report = await settleAndCheck(
    {
      inventory: platform.databaseUrl('inventory'),
      order: platform.databaseUrl('order'),
      payment: platform.databaseUrl('payment'),
      cart: platform.databaseUrl('cart'),
    },
    { productIds: [mug.id, lamp.id], orderIds: [order.order_id, second.order.order_id] },
    { timeoutMs: 30_000, settleGraceSeconds: 10 },
  );
  console.log(`[marketplace] invariants\n${formatReport(report)}`);
  expect(report.violations).toEqual([]);
}, 240_000);
