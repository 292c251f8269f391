import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { LiveCloseCode, LiveHub, liveUpdatesPlugin, type AnyEnvelope, type LiveMessage } from '@sudamall/shared';
import { connectLive, eventually, TEST_JWT_SECRET, testToken, type LiveTestClient } from '@sudamall/shared/testing';
import { OrderLiveFeed } from '../../src/live/order-live-feed';
import { buildTestApp, startHarness, type Harness } from '../fixtures/harness';

// /ws/orders/{user_id}/ against the real saga: orders placed through the use case, the test plays
// inventory on Kafka, and the feed reads order.events with its own consumer group, as main.ts wires it.

let h: Harness;
let app: FastifyInstance;
let feed: OrderLiveFeed;
let base: string;
const clients: LiveTestClient[] = [];

beforeAll(async () => {
  h = await startHarness({ env: { PLACE_ORDER_WAIT_MS: '0' } });
  app = await buildTestApp(h);
  feed = new OrderLiveFeed(new LiveHub({ heartbeatIntervalMs: 200 }), h.c.useCases.store, h.c.useCases.clock, h.c.logger, { tickMs: 200 });
  await app.register(liveUpdatesPlugin, { hub: feed.hub, auth: { secret: TEST_JWT_SECRET }, streams: [feed.stream(), feed.storeStream()] });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  await feed.start(h.c.bus, h.prefix);
  // Play inventory: every reservation succeeds.
  h.onCommand = async (e: AnyEnvelope) => {
    if (e.type !== 'inventory.reserve') return;
    await h.publish('inventory.events', 'stock.reserved', {
      order_id: e.data.order_id,
      lines: e.data.lines.map((l) => ({ ...l, reservation_id: randomUUID() })),
    });
  };
});
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});
afterAll(async () => {
  await feed?.stop();
  await app?.close();
  await h?.close();
});

async function watch(userId: string, opts: { token?: string; autoPong?: boolean; query?: boolean } = {}) {
  const token = opts.token ?? testToken({ sub: userId, role: 'buyer' });
  const c = await connectLive(base, `/ws/orders/${userId}/`, opts.query ? { queryToken: token, autoPong: opts.autoPong } : { token, autoPong: opts.autoPong });
  clients.push(c);
  return c;
}

async function placeOrder(userId: string): Promise<string> {
  const product = h.catalog.add({ price: '12.50' });
  const { orderId } = await h.c.useCases.placeOrder.execute({
    userId,
    idempotencyKey: randomUUID(),
    items: [{ productId: product.id, quantity: 2 }],
    shippingAddress: '1 Main St',
    waitMs: 0,
  });
  return orderId;
}

const isStatus = (orderId: string, to: string) => (m: LiveMessage) =>
  m.type === 'order.status_changed' && (m.data as { order_id: string; to: string }).order_id === orderId && (m.data as { to: string }).to === to;
const isTick = (orderId: string) => (m: LiveMessage) => m.type === 'payment_deadline' && (m.data as { order_id: string }).order_id === orderId;

it('pushes the status change to under_paying, then ticks the payment deadline every interval', async () => {
  const userId = randomUUID();
  const c = await watch(userId);
  await c.next((m) => m.type === 'subscribed');
  const orderId = await placeOrder(userId);
  const changed = await c.next(isStatus(orderId, 'under_paying'), 30000);
  const expiresAt = (changed.data as { payment_expires_at: string }).payment_expires_at;
  expect(changed.data).toMatchObject({ order_id: orderId, from: 'pending', to: 'under_paying' });
  expect(Date.parse(changed.occurred_at)).not.toBeNaN();
  const tick = await c.next(isTick(orderId));
  expect(tick.data).toEqual({ order_id: orderId, seconds_remaining: expect.any(Number), expires_at: expiresAt });
  expect((tick.data as { seconds_remaining: number }).seconds_remaining).toBeGreaterThan(60);
  await eventually(() => expect(c.messages.filter(isTick(orderId)).length).toBeGreaterThanOrEqual(3));
});

it('ticks at once for an order already waiting when the buyer connects (?token=), and pushes the timeout cancellation', async () => {
  const userId = randomUUID();
  const orderId = await placeOrder(userId);
  await eventually(async () => expect((await h.c.useCases.store.head(orderId))?.status).toBe('under_paying'), { timeoutMs: 30000 });
  const c = await watch(userId, { query: true });
  const first = await c.next(isTick(orderId));
  expect((first.data as { seconds_remaining: number }).seconds_remaining).toBeGreaterThan(60);
  // The window lapses: the last tick says 0 and the saga's cancellation follows as an event.
  h.clock.offsetMs = 16 * 60 * 1000;
  await c.next((m) => isTick(orderId)(m) && (m.data as { seconds_remaining: number }).seconds_remaining === 0);
  await c.next(isStatus(orderId, 'cancelled'), 30000);
  h.clock.offsetMs = 0;
});

it("closes another user's stream with 4403 and a connection without a token with 4401", async () => {
  const intruder = await watch(randomUUID(), { token: testToken({ sub: randomUUID(), role: 'buyer' }) });
  expect((await intruder.closed).code).toBe(LiveCloseCode.forbidden);
  const anonymous = await connectLive(base, `/ws/orders/${randomUUID()}/`);
  expect((await anonymous.closed).code).toBe(LiveCloseCode.unauthenticated);
});

it('terminates a client that never answers pings; the live one on the same stream keeps getting events', async () => {
  const userId = randomUUID();
  const dead = await watch(userId, { autoPong: false });
  const live = await watch(userId);
  await dead.next((m) => m.type === 'subscribed');
  await live.next((m) => m.type === 'subscribed');
  expect((await dead.closed).code).toBe(1006);
  const orderId = await placeOrder(userId);
  await live.next(isStatus(orderId, 'under_paying'), 30000);
  expect(feed.hub.subscriberCount('orders', userId)).toBe(1);
});

it('pushes to subscribers on every instance: each instance reads order.events with its own group', async () => {
  // A second instance: its own hub, feed and consumer group, on the same database and topics.
  const other = new OrderLiveFeed(new LiveHub(), h.c.useCases.store, h.c.useCases.clock, h.c.logger, { tickMs: 200 });
  const otherApp = await buildTestApp(h);
  await otherApp.register(liveUpdatesPlugin, { hub: other.hub, auth: { secret: TEST_JWT_SECRET }, streams: [other.stream()] });
  await otherApp.listen({ host: '127.0.0.1', port: 0 });
  await other.start(h.c.bus, h.prefix);
  try {
    const userId = randomUUID();
    const here = await watch(userId);
    const there = await connectLive(`ws://127.0.0.1:${(otherApp.server.address() as AddressInfo).port}`, `/ws/orders/${userId}/`, {
      token: testToken({ sub: userId, role: 'buyer' }),
    });
    clients.push(there);
    await here.next((m) => m.type === 'subscribed');
    await there.next((m) => m.type === 'subscribed');
    // Several orders, so their events spread over the topic's partitions.
    const orderIds = [await placeOrder(userId), await placeOrder(userId), await placeOrder(userId)];
    for (const orderId of orderIds) {
      await here.next(isStatus(orderId, 'under_paying'), 30000);
      await there.next(isStatus(orderId, 'under_paying'), 30000);
    }
  } finally {
    await other.stop();
    await otherApp.close();
  }
});

describe('/ws/stores/{store_id}/orders/', () => {
  async function watchStore(storeId: string, token = testToken({ sub: randomUUID(), role: 'seller', store_id: storeId })) {
    const c = await connectLive(base, `/ws/stores/${storeId}/orders/`, { token });
    clients.push(c);
    return c;
  }

  it("streams the store's orders to its sellers as they are placed and move, without amounts; other stores' sellers are refused", async () => {
    const storeId = `store-${randomUUID()}`;
    const c = await watchStore(storeId);
    await c.next((m) => m.type === 'subscribed');
    const other = await watchStore(storeId, testToken({ sub: randomUUID(), role: 'seller', store_id: 'another-store' }));
    expect(await other.closed).toMatchObject({ code: LiveCloseCode.forbidden });

    const product = h.catalog.add({ price: '12.50', storeId });
    const { orderId } = await h.c.useCases.placeOrder.execute({
      userId: randomUUID(),
      idempotencyKey: randomUUID(),
      items: [{ productId: product.id, quantity: 1 }],
      shippingAddress: '1 Main St',
      waitMs: 0,
    });
    const placed = await c.next((m) => m.type === 'order.placed' && (m.data as { order_id: string }).order_id === orderId, 30000);
    expect(placed.data).toEqual({ order_id: orderId, status: 'pending' });
    const moved = await c.next(isStatus(orderId, 'under_paying'), 30000);
    expect(moved.data).toEqual({ order_id: orderId, from: 'pending', to: 'under_paying', reason: null });

    // A part's move reaches its own store only.
    feed.handle({
      ...placedEnvelope(orderId),
      type: 'order.fulfillment_changed',
      data: { order_id: orderId, user_id: 'u', store_id: 'someone-else', from: 'processing', to: 'shipped', reason: null },
    });
    feed.handle({
      ...placedEnvelope(orderId),
      type: 'order.fulfillment_changed',
      data: { order_id: orderId, user_id: 'u', store_id: storeId, from: 'processing', to: 'shipped', reason: null },
    });
    const part = await c.next((m) => m.type === 'order.fulfillment_changed');
    expect(part.data).toEqual({ order_id: orderId, store_id: storeId, from: 'processing', to: 'shipped', reason: null });
    expect(c.messages.filter((m) => m.type === 'order.fulfillment_changed')).toHaveLength(1);
  });
});

function placedEnvelope(orderId: string) {
  return { id: randomUUID(), version: 1, occurred_at: new Date().toISOString(), key: orderId };
}
