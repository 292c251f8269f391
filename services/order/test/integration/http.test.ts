import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { payment as paymentPb } from '@sudamall/proto';
import { createEnvelope, createLogger, grpcHandler, notFound, startGrpcServer, type MessageType, type MessageTypes } from '@sudamall/shared';
import { CheckPayment } from '../../src/app/check-payment';
import { GetOrder } from '../../src/app/get-order';
import { ListOrders } from '../../src/app/list-orders';
import { buildApp } from '../../src/http/app';
import { PaymentStatusClient } from '../../src/infra/grpc-clients';
import { bearer, TEST_JWT_SECRET } from '@sudamall/shared/testing';
import { SAGA_INBOX_CONSUMER } from '../../src/infra/saga-consumer';
import { buildTestApp, startHarness, type Harness } from '../fixtures/harness';

// Every REST endpoint through app.inject against the real database. Participants' replies are
// fed to the saga coordinator as the Kafka consumer would (the Kafka path has its own test file).

let h: Harness;
let app: FastifyInstance;
beforeAll(async () => {
  h = await startHarness({ kafka: false, env: { PLACE_ORDER_WAIT_MS: '0' } });
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
  await h.c.useCases.saga.handleReply(SAGA_INBOX_CONSUMER, createEnvelope(type, (data as { order_id: string }).order_id, data));
}

async function create(user: { auth: string }, opts: { key?: string; storeId?: string } = {}) {
  const p = h.catalog.add({ price: '10.10', storeId: opts.storeId ?? 'store-a' });
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/orders/create/',
    headers: { authorization: user.auth, 'idempotency-key': opts.key ?? randomUUID() },
    payload: { items: [{ product_id: p.id, quantity: 3 }], shipping_address: '2 Side St', notes: 'ring twice' },
  });
  return res;
}

async function createUnderPaying(user: { auth: string }, storeId = 'store-a') {
  const res = await create(user, { storeId });
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
  return order.order_id as string;
}

async function toProcessing(orderId: string, userId: string) {
  await reply('payment.succeeded', {
    payment_id: randomUUID(),
    order_id: orderId,
    user_id: userId,
    gateway: 'test_gateway',
    amount: '30.30',
    gateway_fee: '0.00',
    total_amount: '30.30',
  });
  await reply('stock.confirmed', { order_id: orderId });
}

describe('auth', () => {
  it('401 without a token, 401 with a bad one, 403 for the wrong role', async () => {
    expect((await app.inject({ method: 'GET', url: '/api/v1/orders/' })).json().error.code).toBe('UNAUTHENTICATED');
    expect((await app.inject({ method: 'GET', url: '/api/v1/orders/', headers: { authorization: 'Bearer nope' } })).statusCode).toBe(401);
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/orders/create/',
      headers: { authorization: seller('s') },
      payload: { shipping_address: 'x' },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('FORBIDDEN');
    expect((await app.inject({ method: 'POST', url: '/api/v1/orders/admin/cleanup/expired/', headers: { authorization: buyer().auth } })).statusCode).toBe(403);
  });
});

describe('POST /api/v1/orders/create/', () => {
  it('creates a pending order (201) and answers a retry with the same key with the same order (200)', async () => {
    const u = buyer();
    const key = randomUUID();
    const first = await create(u, { key });
    expect(first.statusCode).toBe(201);
    const order = first.json();
    expect(order).toMatchObject({ status: 'pending', total_amount: '30.30', shipping_address: '2 Side St', notes: 'ring twice', user_id: u.id });
    expect(order.items[0]).toMatchObject({ quantity: 3, price: '10.10', subtotal: '30.30' });
    expect(order.items[0].product_snapshot).toMatchObject({ price: '10.10' });
    const again = await create(u, { key });
    expect(again.statusCode).toBe(200);
    expect(again.json().order_id).toBe(order.order_id);
  });

  it('400 VALIDATION_FAILED with a bad body; 404 PRODUCT_NOT_FOUND for an unknown product', async () => {
    const u = buyer();
    const badQty = await app.inject({
      method: 'POST',
      url: '/api/v1/orders/create/',
      headers: { authorization: u.auth, 'idempotency-key': 'k' },
      payload: { items: [{ product_id: 'x', quantity: 0 }], shipping_address: 'a' },
    });
    expect(badQty.statusCode).toBe(400);
    const unknown = await app.inject({
      method: 'POST',
      url: '/api/v1/orders/create/',
      headers: { authorization: u.auth, 'idempotency-key': 'k' },
      payload: { items: [{ product_id: randomUUID(), quantity: 1 }], shipping_address: 'a' },
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('PRODUCT_NOT_FOUND');
  });

  it('Idempotency-Key is optional (as in Stripe): a create with items without one is placed, and not deduplicated', async () => {
    const u = buyer();
    const p = h.catalog.add({ price: '3.00' });
    const body = { items: [{ product_id: p.id, quantity: 1 }], shipping_address: '2 Side St' };
    const first = await app.inject({ method: 'POST', url: '/api/v1/orders/create/', headers: { authorization: u.auth }, payload: body });
    const second = await app.inject({ method: 'POST', url: '/api/v1/orders/create/', headers: { authorization: u.auth }, payload: body });
    expect([first.statusCode, second.statusCode]).toEqual([201, 201]);
    expect(first.json().order_id).not.toBe(second.json().order_id);
  });

  it('409 INSUFFICIENT_STOCK with the short lines when the reservation is rejected', async () => {
    const u = buyer();
    const key = randomUUID();
    const first = (await create(u, { key })).json();
    const line = first.items[0];
    await reply('stock.rejected', {
      order_id: first.order_id,
      code: 'INSUFFICIENT_STOCK',
      short_lines: [{ line_id: line.item_id, product_id: line.product_id, size: null, requested: 3, available: 1, code: 'INSUFFICIENT_STOCK' }],
    });
    const again = await create(u, { key });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({
      code: 'INSUFFICIENT_STOCK',
      details: { order_id: first.order_id, short_lines: [{ requested: 3, available: 1 }] },
    });
  });
});

describe('GET /api/v1/orders/ and /api/v1/accounts/order-history/', () => {
  it('lists the buyer’s own orders, newest first, filtered by status, paginated', async () => {
    const u = buyer();
    const a = (await create(u)).json().order_id;
    const b = await createUnderPaying(u);
    const c = (await create(u)).json().order_id;
    await create(buyer()); // someone else's
    const all = (await app.inject({ method: 'GET', url: '/api/v1/orders/', headers: { authorization: u.auth } })).json();
    expect(all.total).toBe(3);
    expect(all.items.map((o: { order_id: string }) => o.order_id)).toEqual([c, b, a]);
    const pending = (await app.inject({ method: 'GET', url: '/api/v1/orders?status=pending&page=2&page_size=1', headers: { authorization: u.auth } })).json();
    expect(pending).toMatchObject({ total: 2, page: 2, page_size: 1 });
    expect(pending.items.map((o: { order_id: string }) => o.order_id)).toEqual([a]);
    const history = (await app.inject({ method: 'GET', url: '/api/v1/accounts/order-history/', headers: { authorization: u.auth } })).json();
    expect(history.total).toBe(3);
    expect(history.items[0].items).toHaveLength(1);
    const bad = await app.inject({ method: 'GET', url: '/api/v1/orders/?status=lost', headers: { authorization: u.auth } });
    expect(bad.statusCode).toBe(400);
  });
});

describe('GET /api/v1/orders/ by role', () => {
  /** One order with a line of each of two stores (store-a's 2 × 10.10, store-b's 1 × 5.25). */
  async function twoStoreOrder(user: { auth: string }, stores: [string, string]) {
    const a = h.catalog.add({ price: '10.10', storeId: stores[0] });
    const b = h.catalog.add({ price: '5.25', storeId: stores[1] });
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/orders/create/',
      headers: { authorization: user.auth, 'idempotency-key': randomUUID() },
      payload: {
        items: [
          { product_id: a.id, quantity: 2 },
          { product_id: b.id, quantity: 1 },
        ],
        shipping_address: '3 Market St',
      },
    });
    expect(res.statusCode).toBe(201);
    return res.json<{ order_id: string; total_amount: string; created_at: string; items: Array<{ store_id: string }> }>();
  }
  const ids = (page: { items: Array<{ order_id: string }> }) => page.items.map((o) => o.order_id);
  const list = async (auth: string, query = '') => {
    const res = await app.inject({ method: 'GET', url: `/api/v1/orders/${query}`, headers: { authorization: auth } });
    expect([res.statusCode, res.body]).toEqual([200, expect.any(String)]);
    return res.json();
  };

  it("a seller finds their store's orders and sees only their store's lines, its store id and its part as total_amount", async () => {
    const storeA = `store-${randomUUID()}`;
    const storeB = `store-${randomUUID()}`;
    const order = await twoStoreOrder(buyer(), [storeA, storeB]);
    expect(order.total_amount).toBe('25.45');
    const onlyB = (await create(buyer(), { storeId: storeB })).json().order_id;

    const forA = await list(seller(storeA));
    expect(ids(forA)).toEqual([order.order_id]);
    expect(forA.items[0]).toMatchObject({ total_amount: '20.20', store_ids: [storeA] });
    expect(forA.items[0].items.map((i: { store_id: string }) => i.store_id)).toEqual([storeA]);
    expect(JSON.stringify(forA)).not.toContain(storeB);
    expect(JSON.stringify(forA)).not.toContain('5.25');

    const forB = await list(seller(storeB));
    expect(ids(forB)).toEqual([onlyB, order.order_id]);
    expect(forB.items[1]).toMatchObject({ total_amount: '5.25', store_ids: [storeB] });

    const detail = (await app.inject({ method: 'GET', url: `/api/v1/orders/${order.order_id}/`, headers: { authorization: seller(storeB) } })).json();
    expect(detail.items.map((i: { store_id: string }) => i.store_id)).toEqual([storeB]);
    expect(detail.total_amount).toBe('5.25');
    expect(detail.shipping_address).toBe('3 Market St');
    const whole = (await app.inject({ method: 'GET', url: `/api/v1/orders/${order.order_id}/`, headers: { authorization: admin } })).json();
    expect(whole.items).toHaveLength(2);
    expect(whole.total_amount).toBe('25.45');
  });

  it('an admin finds every order, narrowed by store_id and user_id; nobody else may use those filters', async () => {
    const storeA = `store-${randomUUID()}`;
    const storeB = `store-${randomUUID()}`;
    const u = buyer();
    const both = await twoStoreOrder(u, [storeA, storeB]);
    const other = (await create(buyer(), { storeId: storeA })).json().order_id;
    expect(ids(await list(admin, `?store_id=${storeA}`))).toEqual([other, both.order_id]);
    expect(ids(await list(admin, `?store_id=${storeB}`))).toEqual([both.order_id]);
    expect(ids(await list(admin, `?user_id=${u.id}`))).toEqual([both.order_id]);
    expect((await list(admin, '?page_size=1')).total).toBeGreaterThanOrEqual(2);
    for (const [auth, query] of [
      [u.auth, `?user_id=${u.id}`],
      [seller(storeA), `?store_id=${storeB}`],
    ]) {
      const refused = await app.inject({ method: 'GET', url: `/api/v1/orders/${query}`, headers: { authorization: auth } });
      expect(refused.statusCode).toBe(403);
      expect(refused.json().error.code).toBe('ADMIN_FILTER_ONLY');
    }
  });

  it('filters by creation date and sorts by date or total, for every role', async () => {
    const store = `store-${randomUUID()}`;
    const u = buyer();
    const small = (await create(u, { storeId: store })).json(); // 30.30
    const big = await twoStoreOrder(u, [store, store]); // 25.45 — smaller total, placed later
    const start = new Date(Date.parse(small.created_at) - 1).toISOString();
    const between = big.created_at; // created_after includes it, created_before does not
    expect(ids(await list(u.auth, '?sort=total_amount'))).toEqual([big.order_id, small.order_id]);
    expect(ids(await list(u.auth, '?sort=-total_amount'))).toEqual([small.order_id, big.order_id]);
    expect(ids(await list(u.auth, '?sort=created_at'))).toEqual([small.order_id, big.order_id]);
    expect(ids(await list(seller(store), `?created_after=${encodeURIComponent(start)}&sort=created_at`))).toEqual([small.order_id, big.order_id]);
    expect(ids(await list(u.auth, `?created_before=${encodeURIComponent(between)}`))).toEqual([small.order_id]);
    expect(ids(await list(u.auth, `?created_after=${encodeURIComponent(between)}`))).toEqual([big.order_id]);
    expect((await list(u.auth, '?created_after=2999-01-01')).total).toBe(0);
    expect(ids(await list(u.auth, '?created_before=2999-01-01'))).toEqual([big.order_id, small.order_id]);
    const history = (await app.inject({ method: 'GET', url: '/api/v1/accounts/order-history/?sort=created_at', headers: { authorization: u.auth } })).json();
    expect(ids(history)).toEqual([small.order_id, big.order_id]);
    for (const bad of ['?created_after=yesterday', '?sort=price', '?created_before=2026-02-30T00:00:00Z']) {
      expect((await app.inject({ method: 'GET', url: `/api/v1/orders/${bad}`, headers: { authorization: u.auth } })).statusCode).toBe(400);
    }
  });
});

describe('GET /api/v1/orders/{order_id}/', () => {
  it('shows the order with items, history and saga to its buyer, a seller of its store and an admin; 403 to others; 404 when unknown', async () => {
    const u = buyer();
    const id = await createUnderPaying(u, 'store-z');
    const res = await app.inject({ method: 'GET', url: `/api/v1/orders/${id}/`, headers: { authorization: u.auth } });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.status).toBe('under_paying');
    expect(body.payment_expires_at).toEqual(expect.any(String));
    expect(body.status_history.map((x: { to_status: string }) => x.to_status)).toEqual(['pending', 'under_paying']);
    expect(body.saga).toMatchObject({ state: 'awaiting_payment', step: 'await_payment', stuck: false });
    expect((await app.inject({ method: 'GET', url: `/api/v1/orders/${id}`, headers: { authorization: seller('store-z') } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: `/api/v1/orders/${id}/`, headers: { authorization: admin } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: `/api/v1/orders/${id}/`, headers: { authorization: seller('other') } })).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: `/api/v1/orders/${id}/`, headers: { authorization: buyer().auth } })).statusCode).toBe(403);
    const missing = await app.inject({ method: 'GET', url: `/api/v1/orders/${randomUUID()}/`, headers: { authorization: u.auth } });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('ORDER_NOT_FOUND');
    expect((await app.inject({ method: 'GET', url: '/api/v1/orders/not-a-uuid/', headers: { authorization: u.auth } })).statusCode).toBe(404);
  });
});

describe('PUT /api/v1/orders/{order_id}/status/', () => {
  it('lets the seller ship and deliver a processing order, refuses other moves', async () => {
    const u = buyer();
    const id = await createUnderPaying(u, 'store-s');
    const put = (status: string, auth: string) =>
      app.inject({ method: 'PUT', url: `/api/v1/orders/${id}/status/`, headers: { authorization: auth }, payload: { status } });
    const early = await put('shipped', seller('store-s'));
    expect(early.statusCode).toBe(409);
    expect(early.json().error.code).toBe('INVALID_STATUS_TRANSITION');
    const manual = await put('processing', seller('store-s'));
    expect(manual.statusCode).toBe(403);
    expect(manual.json().error.code).toBe('STATUS_CHANGE_FORBIDDEN');
    expect((await put('shipped', u.auth)).statusCode).toBe(403);
    expect((await put('shipped', seller('elsewhere'))).statusCode).toBe(403);
    await toProcessing(id, u.id);
    const shipped = await put('shipped', seller('store-s'));
    expect(shipped.statusCode).toBe(200);
    expect(shipped.json()).toMatchObject({ status: 'shipped', order: { status: 'shipped' } });
    const delivered = await app.inject({
      method: 'PUT',
      url: `/api/v1/orders/${id}/status`,
      headers: { authorization: admin },
      payload: { status: 'delivered', notes: 'left at door' },
    });
    expect(delivered.statusCode).toBe(200);
    expect(delivered.json().order.status_history.at(-1)).toMatchObject({
      from_status: 'shipped',
      to_status: 'delivered',
      notes: 'left at door',
      actor_role: 'admin',
    });
    expect((await put('cancelled', admin)).json().error.code).toBe('INVALID_STATUS_TRANSITION');
    expect(
      (await app.inject({ method: 'PUT', url: `/api/v1/orders/${id}/status/`, headers: { authorization: admin }, payload: { status: 'lost' } })).statusCode,
    ).toBe(400);
  });

  it("each store's seller moves only their fulfilment; the order follows its fulfilments", async () => {
    const u = buyer();
    const storeA = `store-${randomUUID()}`;
    const storeB = `store-${randomUUID()}`;
    const a = h.catalog.add({ price: '10.10', storeId: storeA });
    const b = h.catalog.add({ price: '5.25', storeId: storeB });
    const placed = await app.inject({
      method: 'POST',
      url: '/api/v1/orders/create/',
      headers: { authorization: u.auth, 'idempotency-key': randomUUID() },
      payload: {
        items: [
          { product_id: a.id, quantity: 2 },
          { product_id: b.id, quantity: 1 },
        ],
        shipping_address: '4 Dock Rd',
      },
    });
    expect(placed.statusCode).toBe(201);
    const order = placed.json();
    const itemOf = (storeId: string) => order.items.filter((i: { store_id: string }) => i.store_id === storeId).map((i: { item_id: string }) => i.item_id);
    expect(order.fulfillments).toEqual(
      [
        {
          store_id: storeA,
          status: 'pending',
          items: itemOf(storeA),
          subtotal: '20.20',
          tracking_number: null,
          shipped_at: null,
          delivered_at: null,
          cancelled_at: null,
          collected_at: null,
          collected_amount: null,
        },
        {
          store_id: storeB,
          status: 'pending',
          items: itemOf(storeB),
          subtotal: '5.25',
          tracking_number: null,
          shipped_at: null,
          delivered_at: null,
          cancelled_at: null,
          collected_at: null,
          collected_amount: null,
        },
      ].sort((x, y) => x.store_id.localeCompare(y.store_id)),
    );
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
    await toProcessing(order.order_id, u.id);
    const put = (auth: string, payload: Record<string, unknown>) =>
      app.inject({ method: 'PUT', url: `/api/v1/orders/${order.order_id}/status/`, headers: { authorization: auth }, payload });
    const partOf = (body: { order: { fulfillments: Array<{ store_id: string }> } }, storeId: string) =>
      body.order.fulfillments.find((f) => f.store_id === storeId);

    const detail = async () => (await app.inject({ method: 'GET', url: `/api/v1/orders/${order.order_id}/`, headers: { authorization: admin } })).json();
    expect((await detail()).fulfillments.map((f: { status: string }) => f.status)).toEqual(['processing', 'processing']);

    const aShips = await put(seller(storeA), { status: 'shipped', tracking_number: 'TRK-A-1', notes: 'two boxes' });
    expect(aShips.statusCode).toBe(200);
    expect(aShips.json()).toMatchObject({ status: 'processing', order: { status: 'processing' } });
    // The seller's answer shows their own fulfilment only.
    expect(aShips.json().order.fulfillments).toEqual([
      expect.objectContaining({ store_id: storeA, status: 'shipped', tracking_number: 'TRK-A-1', shipped_at: expect.any(String) }),
    ]);
    expect((await put(seller(storeA), { status: 'shipped' })).json().error.code).toBe('INVALID_STATUS_TRANSITION');
    expect(partOf({ order: await detail() }, storeB)).toMatchObject({ status: 'processing', tracking_number: null });

    const bShips = await put(seller(storeB), { status: 'shipped' });
    expect(bShips.json()).toMatchObject({ status: 'shipped', order: { status: 'shipped' } });
    expect((await put(seller(storeA), { status: 'delivered' })).json()).toMatchObject({ status: 'shipped' });
    const adminDelivers = await put(admin, { status: 'delivered', notes: 'confirmed with the carrier' });
    expect(adminDelivers.json()).toMatchObject({ status: 'delivered', order: { status: 'delivered' } });
    const done = await detail();
    expect(done.fulfillments.map((f: { status: string; delivered_at: string | null }) => [f.status, typeof f.delivered_at])).toEqual([
      ['delivered', 'string'],
      ['delivered', 'string'],
    ]);
    expect(done.status_history.map((x: { to_status: string }) => x.to_status)).toEqual(['pending', 'under_paying', 'processing', 'shipped', 'delivered']);
    const history = await h.c.db.fulfillmentStatusHistory.findMany({ where: { orderId: order.order_id, storeId: storeA }, orderBy: { id: 'asc' } });
    expect(history.map((x) => [x.fromStatus, x.toStatus, x.actorRole, x.notes])).toEqual([
      ['pending', 'processing', 'system', null],
      ['processing', 'shipped', 'seller', 'two boxes'],
      ['shipped', 'delivered', 'seller', null],
    ]);
  });

  it("an unpaid order's fulfilments are cancelled with it", async () => {
    const u = buyer();
    const id = await createUnderPaying(u, 'store-c');
    const cancelled = await app.inject({
      method: 'POST',
      url: `/api/v1/orders/${id}/cancel/`,
      headers: { authorization: u.auth },
      payload: { reason: 'changed my mind' },
    });
    expect(cancelled.statusCode).toBe(200);
    const order = (await app.inject({ method: 'GET', url: `/api/v1/orders/${id}/`, headers: { authorization: u.auth } })).json();
    expect(order.fulfillments).toEqual([expect.objectContaining({ store_id: 'store-c', status: 'cancelled', cancelled_at: expect.any(String) })]);
  });

  it('a seller cancelling through the status endpoint triggers the compensation', async () => {
    const id = await createUnderPaying(buyer(), 'store-c');
    const res = await app.inject({
      method: 'PUT',
      url: `/api/v1/orders/${id}/status/`,
      headers: { authorization: seller('store-c') },
      payload: { status: 'cancelled' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().order.cancel_reason).toBe('cancelled_by_seller');
    const types = (await h.c.db.outboxMessage.findMany({ where: { key: id } })).map((m) => m.type);
    expect(types).toEqual(expect.arrayContaining(['inventory.release', 'payment.void', 'order.cancelled']));
  });
});

describe('POST /api/v1/orders/{order_id}/cancel/', () => {
  it('cancels the buyer’s own under_paying order with release + void; 403 for another buyer; 409 when already cancelled', async () => {
    const u = buyer();
    const id = await createUnderPaying(u);
    expect((await app.inject({ method: 'POST', url: `/api/v1/orders/${id}/cancel/`, headers: { authorization: buyer().auth } })).statusCode).toBe(403);
    const res = await app.inject({
      method: 'POST',
      url: `/api/v1/orders/${id}/cancel/`,
      headers: { authorization: u.auth },
      payload: { reason: 'changed my mind' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'cancelled', order: { cancel_reason: 'changed my mind', saga: { state: 'compensating' } } });
    const types = (await h.c.db.outboxMessage.findMany({ where: { key: id } })).map((m) => m.type);
    expect(types).toEqual(expect.arrayContaining(['inventory.release', 'payment.void']));
    const again = await app.inject({ method: 'POST', url: `/api/v1/orders/${id}/cancel`, headers: { authorization: admin } });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('INVALID_STATUS_TRANSITION');
  });
});

describe('payment window endpoints', () => {
  it('payment-status counts down; check-payment degrades when payment is unreachable', async () => {
    const u = buyer();
    const id = await createUnderPaying(u);
    const status = (await app.inject({ method: 'GET', url: `/api/v1/orders/payment-status/${id}/`, headers: { authorization: u.auth } })).json();
    expect(status.expired).toBe(false);
    expect(status.seconds_remaining).toBeGreaterThan(890);
    expect(status.seconds_remaining).toBeLessThanOrEqual(900);
    expect(Date.parse(status.expires_at)).toBeGreaterThan(Date.now());
    const check = await app.inject({ method: 'GET', url: `/api/v1/orders/check-payment/${id}/`, headers: { authorization: u.auth } });
    expect(check.statusCode).toBe(200);
    expect(check.json()).toMatchObject({ order_status: 'under_paying', paid: false, payment_service: 'unavailable', payment: null });
    expect((await app.inject({ method: 'GET', url: `/api/v1/orders/payment-status/${id}/`, headers: { authorization: buyer().auth } })).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: `/api/v1/orders/check-payment/${randomUUID()}/`, headers: { authorization: u.auth } })).statusCode).toBe(
      404,
    );
  });
});

describe('check-payment with the payment service reachable', () => {
  it('shows the payment service’s view of the order’s payment, and null when it has none', async () => {
    const paid = new Map<string, paymentPb.GetPaymentStatusResponse>();
    // A stand-in PaymentService on a real gRPC server (port 0), answering as payment does.
    const impl: paymentPb.PaymentServiceServer = {
      getPaymentStatus: grpcHandler(async (req: paymentPb.GetPaymentStatusRequest) => {
        const p = paid.get(req.orderId);
        if (!p) throw notFound('PAYMENT_NOT_FOUND', 'no payment for this order');
        return p;
      }),
      getPayment: grpcHandler(async () => {
        throw notFound('PAYMENT_NOT_FOUND', 'no such payment');
      }),
    };
    const server = await startGrpcServer({
      host: '127.0.0.1',
      port: 0,
      services: [{ definition: paymentPb.PaymentServiceService, implementation: impl }],
      logger: createLogger({ name: 'fake-payment', level: 'warn' }),
    });
    const client = new PaymentStatusClient(`127.0.0.1:${server.port}`);
    const withPayments = await buildApp({
      useCases: {
        ...h.c.useCases,
        getOrder: new GetOrder(h.c.useCases.store, client),
        listOrders: new ListOrders(h.c.useCases.store, client),
        checkPayment: new CheckPayment(h.c.useCases.store, h.clock, client),
      },
      auth: { secret: TEST_JWT_SECRET },
    });
    try {
      const u = buyer();
      const id = await createUnderPaying(u);
      const none = await withPayments.inject({ method: 'GET', url: `/api/v1/orders/check-payment/${id}/`, headers: { authorization: u.auth } });
      expect(none.json()).toMatchObject({ payment_service: 'ok', payment: null, paid: false });
      paid.set(id, {
        orderId: id,
        paymentId: 'pay-9',
        status: 'completed',
        amount: '30.30',
        gatewayFee: '0.91',
        totalAmount: '31.21',
        gateway: 'test_gateway',
        refundedAmount: '0.00',
        updatedAt: new Date().toISOString(),
      });
      const res = await withPayments.inject({ method: 'GET', url: `/api/v1/orders/check-payment/${id}/`, headers: { authorization: u.auth } });
      expect(res.json()).toMatchObject({
        order_status: 'under_paying',
        paid: true,
        payment_service: 'ok',
        payment: {
          payment_id: 'pay-9',
          status: 'completed',
          amount: '30.30',
          gateway_fee: '0.91',
          total_amount: '31.21',
          refunded_amount: '0.00',
          gateway: 'test_gateway',
        },
      });
    } finally {
      await withPayments.close();
      client.close();
      await server.close();
    }
  });
});

describe('admin', () => {
  it('expired-count, cleanup/expired and trigger-cleanup-task expire overdue orders (payment_timeout)', async () => {
    const u = buyer();
    const first = await createUnderPaying(u);
    const second = await createUnderPaying(u);
    await h.c.db.order.updateMany({ where: { id: { in: [first, second] } }, data: { paymentExpiresAt: new Date(Date.now() - 1000) } });
    const count = (await app.inject({ method: 'GET', url: '/api/v1/orders/admin/expired-count/', headers: { authorization: admin } })).json();
    expect(count.count).toBeGreaterThanOrEqual(2);
    const windowRes = (await app.inject({ method: 'GET', url: `/api/v1/orders/payment-status/${first}/`, headers: { authorization: u.auth } })).json();
    expect(windowRes).toMatchObject({ expired: true, seconds_remaining: 0 });
    const cleaned = await app.inject({ method: 'POST', url: '/api/v1/orders/admin/cleanup/expired/', headers: { authorization: admin } });
    expect(cleaned.statusCode).toBe(200);
    expect(cleaned.json().expired).toBeGreaterThanOrEqual(2);
    for (const id of [first, second]) {
      const o = await h.c.db.order.findUniqueOrThrow({ where: { id } });
      expect(o).toMatchObject({ status: 'cancelled', cancelReason: 'payment_timeout' });
    }
    expect((await app.inject({ method: 'GET', url: '/api/v1/orders/admin/expired-count/', headers: { authorization: admin } })).json().count).toBe(0);
    const task = await app.inject({ method: 'POST', url: '/api/v1/orders/admin/trigger-cleanup-task/', headers: { authorization: admin } });
    expect(task.statusCode).toBe(202);
    expect(task.json()).toMatchObject({ status: 'accepted' });
  });

  it('sagas: filters by state and stuck, counts by state', async () => {
    const id = await createUnderPaying(buyer());
    await h.c.db.sagaInstance.update({ where: { orderId: id }, data: { stuck: true } });
    const res = await app.inject({
      method: 'GET',
      url: '/api/v1/orders/admin/sagas/?stuck=true&state=awaiting_payment&page_size=100',
      headers: { authorization: admin },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.items.map((s: { order_id: string }) => s.order_id)).toContain(id);
    expect(body.items.every((s: { stuck: boolean; state: string }) => s.stuck && s.state === 'awaiting_payment')).toBe(true);
    expect(body.counts.awaiting_payment).toBeGreaterThanOrEqual(1);
    expect(body.stuck_count).toBeGreaterThanOrEqual(1);
    await h.c.db.sagaInstance.update({ where: { orderId: id }, data: { stuck: false } });
  });
});

it('serves the OpenAPI document', async () => {
  const res = await app.inject({ method: 'GET', url: '/api/v1/orders/openapi.json' });
  expect(res.statusCode).toBe(200);
  const paths = Object.keys(res.json().paths);
  expect(paths).toEqual(expect.arrayContaining(['/api/v1/orders/create', '/api/v1/orders/{order_id}/status', '/api/v1/accounts/order-history']));
});
