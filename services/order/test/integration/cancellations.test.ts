import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { createEnvelope, type AnyEnvelope, type MessageType, type MessageTypes } from '@sudamall/shared';
import { bearer } from '@sudamall/shared/testing';
import { SAGA_INBOX_CONSUMER } from '../../src/infra/saga-consumer';
import { buildTestApp, startHarness, type Harness } from '../fixtures/harness';
import { FakePayments } from '../fixtures/fake-payments';

// Cancellations after payment through REST against the real database: the test plays payment and
// inventory by reading the commands the order service wrote to its outbox and feeding replies to
// the consumer's handlers (the Kafka path is the e2e suite's).

let h: Harness;
let app: FastifyInstance;
const payments = new FakePayments();
beforeAll(async () => {
  h = await startHarness({ kafka: false, payments, env: { PLACE_ORDER_WAIT_MS: '0' } });
  app = await buildTestApp(h);
});
afterAll(async () => {
  await app?.close();
  await h?.close();
});

const buyer = (id = randomUUID()) => ({ id, auth: bearer({ sub: id, role: 'buyer' }) });
const seller = (storeId: string) => bearer({ sub: randomUUID(), role: 'seller', store_id: storeId });
const admin = bearer({ sub: randomUUID(), role: 'admin' });

async function reply<T extends MessageType>(type: T, data: MessageTypes[T]) {
  const envelope = createEnvelope(type, (data as { order_id: string }).order_id, data) as AnyEnvelope;
  const { saga, adjustments } = h.c.useCases;
  return 'refund_key' in data || 'restock_id' in data
    ? adjustments.handleReply(SAGA_INBOX_CONSUMER, envelope)
    : saga.handleReply(SAGA_INBOX_CONSUMER, envelope);
}

/** The commands the order service sent for an order, oldest first. */
async function commands(orderId: string, type: string) {
  const rows = await h.c.db.outboxMessage.findMany({ where: { key: orderId, type }, orderBy: { id: 'asc' } });
  return rows.map((r) => (r.payload as { data: Record<string, unknown> }).data);
}

/** A paid order with a line of two stores: store A 2 × 10.10, store B 1 × 5.25; fee 2.64 (2.00 + 2.5 %). */
async function paidTwoStoreOrder(u: { id: string; auth: string }, gateway = 'test_gateway') {
  const storeA = `store-a-${randomUUID()}`;
  const storeB = `store-b-${randomUUID()}`;
  const a = h.catalog.add({ price: '10.10', storeId: storeA });
  const b = h.catalog.add({ price: '5.25', storeId: storeB });
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/orders/create/',
    headers: { authorization: u.auth, 'idempotency-key': randomUUID() },
    payload: {
      items: [
        { product_id: a.id, quantity: 2 },
        { product_id: b.id, quantity: 1 },
      ],
      shipping_address: '5 Quay St',
    },
  });
  expect(res.statusCode).toBe(201);
  const order = res.json();
  await reply('stock.reserved', {
    order_id: order.order_id,
    lines: order.items.map((i: { item_id: string; product_id: string; quantity: number }) => ({
      line_id: i.item_id,
      product_id: i.product_id,
      size: null,
      quantity: i.quantity,
      reservation_id: randomUUID(),
    })),
  });
  const fee = gateway === 'cash_on_delivery' ? '0.00' : '2.64';
  const total = gateway === 'cash_on_delivery' ? '25.45' : '28.09';
  await reply('payment.succeeded', {
    payment_id: randomUUID(),
    order_id: order.order_id,
    user_id: u.id,
    gateway,
    amount: '25.45',
    gateway_fee: fee,
    total_amount: total,
  });
  await reply('stock.confirmed', { order_id: order.order_id });
  payments.paid(order.order_id, '25.45', fee, gateway);
  const lineOf = (storeId: string) => order.items.find((i: { store_id: string }) => i.store_id === storeId);
  return { orderId: order.order_id as string, storeA, storeB, lineA: lineOf(storeA), lineB: lineOf(storeB) };
}

const get = async (orderId: string, auth = admin) =>
  (await app.inject({ method: 'GET', url: `/api/v1/orders/${orderId}/`, headers: { authorization: auth } })).json();
const cancel = (orderId: string, auth: string, reason = 'out of stock after all') =>
  app.inject({ method: 'POST', url: `/api/v1/orders/${orderId}/cancel/`, headers: { authorization: auth }, payload: { reason } });

describe('a seller cancels their part after payment', () => {
  it('refunds its lines and fee share, restocks its units, then cancels its fulfilment; the order follows the other part', async () => {
    const u = buyer();
    const o = await paidTwoStoreOrder(u);
    const res = await cancel(o.orderId, seller(o.storeB));
    expect(res.statusCode).toBe(202);
    const started = res.json().order;
    // 5.25 + its share of 2.64: 2.64 − round(2.64 × 20.20 / 25.45) = 2.64 − 2.10 = 0.54.
    expect(started.cancellation).toMatchObject({ status: 'refunding', store_id: o.storeB, refund_amount: '5.79', refunded_amount: null, stuck: false });
    expect(started.fulfillments).toEqual([expect.objectContaining({ store_id: o.storeB, status: 'processing' })]);
    // A seller sees how the buyer pays and where that stands, and the buyer's address, in the order and in their list.
    expect(started).toMatchObject({ payment: { method: 'test_gateway', status: 'completed' }, shipping_address: '5 Quay St' });
    const listed = (await app.inject({ method: 'GET', url: '/api/v1/orders/', headers: { authorization: seller(o.storeB) } })).json();
    expect(listed.items).toEqual([expect.objectContaining({ order_id: o.orderId, payment: { method: 'test_gateway', status: 'completed' } })]);
    const id = started.cancellation.cancellation_id;
    expect(await commands(o.orderId, 'payment.refund')).toEqual([{ order_id: o.orderId, reason: 'out of stock after all', refund_key: id, amount: '5.79' }]);

    // While it is being refunded, that part does not ship; the other store's does.
    expect(
      (
        await app.inject({
          method: 'PUT',
          url: `/api/v1/orders/${o.orderId}/status/`,
          headers: { authorization: seller(o.storeB) },
          payload: { status: 'shipped' },
        })
      ).json().error.code,
    ).toBe('CANCELLATION_IN_PROGRESS');
    expect((await cancel(o.orderId, u.auth)).json().error.code).toBe('CANCELLATION_IN_PROGRESS');
    expect(
      (
        await app.inject({
          method: 'PUT',
          url: `/api/v1/orders/${o.orderId}/status/`,
          headers: { authorization: seller(o.storeA) },
          payload: { status: 'shipped' },
        })
      ).statusCode,
    ).toBe(200);

    expect(await reply('payment.refunded', { payment_id: 'p', order_id: o.orderId, refund_id: 'r-1', amount: '5.79', reason: 'x', refund_key: id })).toBe(
      'applied',
    );
    expect((await get(o.orderId)).cancellation).toMatchObject({ status: 'restocking', refunded_amount: '5.79' });
    expect(await commands(o.orderId, 'inventory.restock')).toEqual([
      { order_id: o.orderId, restock_id: id, reason: 'out of stock after all', lines: [{ line_id: o.lineB.item_id, quantity: 1 }] },
    ]);

    await reply('stock.restocked', {
      order_id: o.orderId,
      restock_id: id,
      lines: [{ line_id: o.lineB.item_id, product_id: o.lineB.product_id, size: null, quantity: 1 }],
    });
    const done = await get(o.orderId);
    expect(done.cancellation).toMatchObject({ status: 'completed', completed_at: expect.any(String) });
    expect(done.fulfillments.map((f: { store_id: string; status: string }) => [f.store_id, f.status])).toEqual([
      [o.storeA, 'shipped'],
      [o.storeB, 'cancelled'],
    ]);
    // Store A's part alone is left, and it has shipped.
    expect(done.status).toBe('shipped');
    const history = await h.c.db.fulfillmentStatusHistory.findMany({ where: { orderId: o.orderId, storeId: o.storeB, toStatus: 'cancelled' } });
    expect(history.map((x) => [x.actorRole, x.reason])).toEqual([['seller', 'out of stock after all']]);
    // Every step is in the order's timeline (the saga dashboard's step log).
    const log = await h.c.db.sagaStepLog.findMany({ where: { orderId: o.orderId, step: { startsWith: 'cancellation:' } }, orderBy: { id: 'asc' } });
    expect(log.map((e) => [e.step, e.kind, e.type])).toEqual([
      ['cancellation:refund', 'command', 'payment.refund'],
      ['cancellation:refund', 'reply', 'payment.refunded'],
      ['cancellation:restock', 'command', 'inventory.restock'],
      ['cancellation:restock', 'reply', 'stock.restocked'],
      ['cancellation:done', 'reply', 'completed'],
    ]);
    // A redelivered reply changes nothing.
    expect(await reply('stock.restocked', { order_id: o.orderId, restock_id: id, lines: [] })).toBe('applied');
    expect((await get(o.orderId)).status).toBe('shipped');
  });

  it("refuses another store's seller, a part no longer processing, and the buyer once something has shipped", async () => {
    const u = buyer();
    const o = await paidTwoStoreOrder(u);
    expect((await cancel(o.orderId, seller('elsewhere'))).statusCode).toBe(403);
    await app.inject({
      method: 'PUT',
      url: `/api/v1/orders/${o.orderId}/status/`,
      headers: { authorization: seller(o.storeA) },
      payload: { status: 'shipped' },
    });
    const shipped = await cancel(o.orderId, seller(o.storeA));
    expect([shipped.statusCode, shipped.json().error.code]).toEqual([409, 'CANCELLATION_NOT_ALLOWED']);
    const byBuyer = await cancel(o.orderId, u.auth);
    expect([byBuyer.statusCode, byBuyer.json().error.code]).toEqual([409, 'CANCELLATION_NOT_ALLOWED']);
    expect(await commands(o.orderId, 'payment.refund')).toEqual([]);
  });
});

describe('a paid order cancelled whole', () => {
  it('by its buyer: everything the buyer paid is refunded (no amount: everything left), every unit restocked, the order cancelled', async () => {
    const u = buyer();
    const o = await paidTwoStoreOrder(u);
    const res = await cancel(o.orderId, u.auth, 'changed my mind');
    expect(res.statusCode).toBe(202);
    const { cancellation } = res.json().order;
    expect(cancellation).toMatchObject({ status: 'refunding', store_id: null, refund_amount: '28.09' });
    expect(await commands(o.orderId, 'payment.refund')).toEqual([{ order_id: o.orderId, reason: 'changed my mind', refund_key: cancellation.cancellation_id }]);
    await reply('payment.refunded', {
      payment_id: 'p',
      order_id: o.orderId,
      refund_id: 'r',
      amount: '28.09',
      reason: 'x',
      refund_key: cancellation.cancellation_id,
    });
    const [restock] = await commands(o.orderId, 'inventory.restock');
    expect((restock.lines as Array<{ line_id: string; quantity: number }>).sort((x, y) => x.line_id.localeCompare(y.line_id))).toEqual(
      [
        { line_id: o.lineA.item_id, quantity: 2 },
        { line_id: o.lineB.item_id, quantity: 1 },
      ].sort((x, y) => x.line_id.localeCompare(y.line_id)),
    );
    await reply('stock.restocked', { order_id: o.orderId, restock_id: cancellation.cancellation_id, lines: [] });
    const done = await get(o.orderId, u.auth);
    expect(done).toMatchObject({ status: 'cancelled', cancel_reason: 'changed my mind', cancellation: { status: 'completed', refunded_amount: '28.09' } });
    expect(done.fulfillments.map((f: { status: string }) => f.status)).toEqual(['cancelled', 'cancelled']);
    expect(done.status_history.map((x: { to_status: string }) => x.to_status)).toEqual(['pending', 'under_paying', 'processing', 'cancelled']);
    const events = await h.c.db.outboxMessage.findMany({ where: { key: o.orderId, type: 'order.cancelled' } });
    expect(events).toHaveLength(1);
    const again = await cancel(o.orderId, u.auth);
    expect([again.statusCode, again.json().error.code]).toEqual([409, 'INVALID_STATUS_TRANSITION']);
  });

  it('a refund the gateway refused leaves the cancellation stuck and visible, the order unchanged; an overdue command is re-sent', async () => {
    const u = buyer();
    const o = await paidTwoStoreOrder(u);
    const { cancellation } = (await cancel(o.orderId, admin)).json().order;
    await reply('payment.refund_failed', {
      payment_id: 'p',
      order_id: o.orderId,
      refund_id: 'r',
      amount: '28.09',
      reason: 'card_closed',
      refund_key: cancellation.cancellation_id,
    });
    const stuck = await get(o.orderId);
    expect(stuck.status).toBe('processing');
    expect(stuck.cancellation).toMatchObject({ status: 'refunding', stuck: true, last_error: expect.stringContaining('card_closed') });

    // Operators find it among the stuck ones and retry it: the refund is asked for again at once.
    const listed = (
      await app.inject({ method: 'GET', url: '/api/v1/orders/admin/adjustments/?stuck=true&page_size=100', headers: { authorization: admin } })
    ).json();
    expect(listed.items.map((a: { adjustment_id: string }) => a.adjustment_id)).toContain(cancellation.cancellation_id);
    expect((await app.inject({ method: 'GET', url: '/api/v1/orders/admin/adjustments/', headers: { authorization: u.auth } })).statusCode).toBe(403);
    const retried = await app.inject({
      method: 'POST',
      url: `/api/v1/orders/admin/adjustments/${cancellation.cancellation_id}/retry/`,
      headers: { authorization: admin },
    });
    expect(retried.statusCode).toBe(202);
    expect(retried.json()).toMatchObject({ adjustment_id: cancellation.cancellation_id, status: 'refunding', stuck: false, last_error: null });
    expect(await commands(o.orderId, 'payment.refund')).toHaveLength(2);
    expect(
      (await app.inject({ method: 'POST', url: `/api/v1/orders/admin/adjustments/${randomUUID()}/retry/`, headers: { authorization: admin } })).statusCode,
    ).toBe(404);

    // Another cancellation, waiting for its refund: once its re-send is due, the sweeper sends it again.
    const o2 = await paidTwoStoreOrder(buyer());
    await cancel(o2.orderId, admin);
    await h.c.db.orderAdjustment.updateMany({ where: { orderId: o2.orderId }, data: { nextRetryAt: new Date(Date.now() - 1000) } });
    expect(await h.c.useCases.adjustments.retryDue(10)).toBeGreaterThanOrEqual(1);
    expect(await commands(o2.orderId, 'payment.refund')).toHaveLength(2);
  });
});

describe('returns after delivery', () => {
  async function delivered(u: { id: string; auth: string }) {
    const o = await paidTwoStoreOrder(u);
    for (const status of ['shipped', 'delivered']) {
      const res = await app.inject({
        method: 'PUT',
        url: `/api/v1/orders/${o.orderId}/status/`,
        headers: { authorization: seller(o.storeA) },
        payload: { status },
      });
      expect(res.statusCode).toBe(200);
    }
    return o;
  }
  const requestReturn = (orderId: string, auth: string, items: Array<{ item_id: string; quantity: number }>, reason = 'too small') =>
    app.inject({ method: 'POST', url: `/api/v1/orders/${orderId}/returns/`, headers: { authorization: auth }, payload: { items, reason } });

  it("the buyer returns a delivered line; its store's seller approves with restock: refund of the lines and their fee share, units back", async () => {
    const u = buyer();
    const o = await delivered(u);
    const asked = await requestReturn(o.orderId, u.auth, [{ item_id: o.lineA.item_id, quantity: 1 }]);
    expect(asked.statusCode).toBe(201);
    const ret = asked.json();
    expect(ret).toMatchObject({
      status: 'requested',
      store_id: o.storeA,
      items: [{ item_id: o.lineA.item_id, quantity: 1 }],
      refund_amount: null,
      reason: 'too small',
    });

    // Store B's part is not delivered; never more than bought; one store at a time; only the buyer asks.
    expect((await requestReturn(o.orderId, u.auth, [{ item_id: o.lineB.item_id, quantity: 1 }])).json().error.code).toBe('RETURN_NOT_DELIVERED');
    const tooMany = await requestReturn(o.orderId, u.auth, [{ item_id: o.lineA.item_id, quantity: 2 }]);
    expect([tooMany.statusCode, tooMany.json().error.code, tooMany.json().error.details.returnable]).toEqual([409, 'RETURN_EXCEEDS_PURCHASE', 1]);
    expect((await requestReturn(o.orderId, buyer().auth, [{ item_id: o.lineA.item_id, quantity: 1 }])).statusCode).toBe(403);

    // Only store A's seller (or an admin) answers it.
    const url = `/api/v1/orders/${o.orderId}/returns/${ret.return_id}`;
    expect(
      (await app.inject({ method: 'POST', url: `${url}/approve/`, headers: { authorization: seller(o.storeB) }, payload: { restock: true } })).statusCode,
    ).toBe(403);
    const approved = await app.inject({ method: 'POST', url: `${url}/approve/`, headers: { authorization: seller(o.storeA) }, payload: { restock: true } });
    expect(approved.statusCode).toBe(202);
    // 10.10 + 10.10 / 20.20 of store A's 2.10 fee share = 10.10 + 1.05.
    expect(approved.json()).toMatchObject({ status: 'refunding', refund_amount: '11.15', restock: true });
    expect(
      (await app.inject({ method: 'POST', url: `${url}/reject/`, headers: { authorization: admin }, payload: { reason: 'late' } })).json().error.code,
    ).toBe('RETURN_ALREADY_ANSWERED');
    const refunds = await commands(o.orderId, 'payment.refund');
    expect(refunds).toEqual([{ order_id: o.orderId, reason: 'too small', refund_key: ret.return_id, amount: '11.15' }]);

    await reply('payment.refunded', { payment_id: 'p', order_id: o.orderId, refund_id: 'r', amount: '11.15', reason: 'too small', refund_key: ret.return_id });
    expect(await commands(o.orderId, 'inventory.restock')).toEqual([
      { order_id: o.orderId, restock_id: ret.return_id, reason: 'too small', lines: [{ line_id: o.lineA.item_id, quantity: 1 }] },
    ]);
    await reply('stock.restocked', { order_id: o.orderId, restock_id: ret.return_id, lines: [] });
    const list = (await app.inject({ method: 'GET', url: `/api/v1/orders/${o.orderId}/returns/`, headers: { authorization: u.auth } })).json();
    expect(list.items).toEqual([
      expect.objectContaining({ return_id: ret.return_id, status: 'completed', refunded_amount: '11.15', completed_at: expect.any(String) }),
    ]);
    expect(
      (await app.inject({ method: 'GET', url: `/api/v1/orders/${o.orderId}/returns/`, headers: { authorization: seller(o.storeB) } })).json().items,
    ).toEqual([]);
    // The order stays delivered for store A; a return is no cancellation.
    expect((await get(o.orderId)).fulfillments.find((f: { store_id: string }) => f.store_id === o.storeA).status).toBe('delivered');
  });

  it('a rejected return refunds nothing and frees its units for another request; approval without restock skips the restock', async () => {
    const u = buyer();
    const o = await delivered(u);
    const first = (await requestReturn(o.orderId, u.auth, [{ item_id: o.lineA.item_id, quantity: 2 }])).json();
    const rejected = await app.inject({
      method: 'POST',
      url: `/api/v1/orders/${o.orderId}/returns/${first.return_id}/reject/`,
      headers: { authorization: seller(o.storeA) },
      payload: { reason: 'worn' },
    });
    expect(rejected.json()).toMatchObject({ status: 'rejected', decision_reason: 'worn' });
    const second = (await requestReturn(o.orderId, u.auth, [{ item_id: o.lineA.item_id, quantity: 2 }])).json();
    await app.inject({
      method: 'POST',
      url: `/api/v1/orders/${o.orderId}/returns/${second.return_id}/approve/`,
      headers: { authorization: admin },
      payload: { restock: false },
    });
    await reply('payment.refunded', { payment_id: 'p', order_id: o.orderId, refund_id: 'r', amount: '22.30', reason: 'x', refund_key: second.return_id });
    const list = (await app.inject({ method: 'GET', url: `/api/v1/orders/${o.orderId}/returns/`, headers: { authorization: admin } })).json();
    expect(list.items.map((r: { status: string; refund_amount: string | null }) => [r.status, r.refund_amount])).toEqual([
      ['rejected', null],
      ['completed', '22.30'],
    ]);
    expect(await commands(o.orderId, 'inventory.restock')).toEqual([]);
  });

  it('closes RETURN_WINDOW_DAYS after delivery', async () => {
    const u = buyer();
    const o = await delivered(u);
    await h.c.db.fulfillment.updateMany({ where: { orderId: o.orderId }, data: { deliveredAt: new Date(Date.now() - 15 * 24 * 3600 * 1000) } });
    expect((await requestReturn(o.orderId, u.auth, [{ item_id: o.lineA.item_id, quantity: 1 }])).json().error.code).toBe('RETURN_WINDOW_CLOSED');
  });
});

describe('cash on delivery, run by the stores', () => {
  const put = (orderId: string, auth: string, status: string) =>
    app.inject({ method: 'PUT', url: `/api/v1/orders/${orderId}/status/`, headers: { authorization: auth }, payload: { status } });
  const collect = (orderId: string, storeId: string, auth: string) =>
    app.inject({ method: 'POST', url: `/api/v1/orders/${orderId}/fulfillments/${storeId}/collect/`, headers: { authorization: auth } });

  it('each store delivers and collects its part; a refused part is cancelled and restocked; the payment completes for what was collected', async () => {
    const u = buyer();
    const o = await paidTwoStoreOrder(u, 'cash_on_delivery');
    await put(o.orderId, seller(o.storeA), 'shipped');
    await put(o.orderId, seller(o.storeB), 'shipped');
    expect((await collect(o.orderId, o.storeA, seller(o.storeB))).statusCode).toBe(403);
    const collected = await collect(o.orderId, o.storeA, seller(o.storeA));
    expect(collected.statusCode).toBe(200);
    expect(collected.json().order.fulfillments).toEqual([
      expect.objectContaining({ store_id: o.storeA, status: 'delivered', collected_amount: '20.20', collected_at: expect.any(String) }),
    ]);
    expect((await collect(o.orderId, o.storeA, seller(o.storeA))).json().error.code).toBe('ALREADY_COLLECTED');
    expect(await commands(o.orderId, 'payment.collect')).toEqual([]); // store B has not collected yet

    const refused = await app.inject({
      method: 'POST',
      url: `/api/v1/orders/${o.orderId}/fulfillments/${o.storeB}/refuse/`,
      headers: { authorization: seller(o.storeB) },
      payload: { reason: 'buyer refused at the door' },
    });
    expect(refused.statusCode).toBe(202);
    const { cancellation } = refused.json().order;
    expect(cancellation).toMatchObject({ store_id: o.storeB, refund_amount: '5.25', status: 'refunding' });
    // Nothing was captured for the refused part: payment answers 0.00.
    await reply('payment.refunded', {
      payment_id: 'p',
      order_id: o.orderId,
      refund_id: '',
      amount: '0.00',
      reason: 'x',
      refund_key: cancellation.cancellation_id,
    });
    await reply('stock.restocked', { order_id: o.orderId, restock_id: cancellation.cancellation_id, lines: [] });
    const done = await get(o.orderId);
    expect(done.status).toBe('delivered');
    expect(done.fulfillments.map((f: { status: string }) => f.status)).toEqual(['delivered', 'cancelled']);
    expect(await commands(o.orderId, 'payment.collect')).toEqual([{ order_id: o.orderId, amount: '20.20' }]);
    expect(await commands(o.orderId, 'payment.void')).toEqual([]);
  });

  it('every part collected completes the payment for the whole; a card order has no cash to collect', async () => {
    const u = buyer();
    const o = await paidTwoStoreOrder(u, 'cash_on_delivery');
    for (const s of [o.storeA, o.storeB]) {
      await put(o.orderId, seller(s), 'shipped');
      expect((await collect(o.orderId, s, seller(s))).statusCode).toBe(200);
    }
    expect((await get(o.orderId)).status).toBe('delivered');
    expect(await commands(o.orderId, 'payment.collect')).toEqual([{ order_id: o.orderId, amount: '25.45' }]);
    const card = await paidTwoStoreOrder(buyer());
    expect((await collect(card.orderId, card.storeA, admin)).json().error.code).toBe('NOT_CASH_ON_DELIVERY');
  });

  it('a cash order whose every part is refused is cancelled and its payment voided', async () => {
    const o = await paidTwoStoreOrder(buyer(), 'cash_on_delivery');
    await put(o.orderId, admin, 'shipped');
    const { cancellation } = (await cancel(o.orderId, admin, 'no one home')).json().order;
    await reply('payment.refunded', {
      payment_id: 'p',
      order_id: o.orderId,
      refund_id: '',
      amount: '0.00',
      reason: 'x',
      refund_key: cancellation.cancellation_id,
    });
    await reply('stock.restocked', { order_id: o.orderId, restock_id: cancellation.cancellation_id, lines: [] });
    expect((await get(o.orderId)).status).toBe('cancelled');
    expect(await commands(o.orderId, 'payment.void')).toEqual([{ order_id: o.orderId, reason: 'no one home' }]);
  });
});
