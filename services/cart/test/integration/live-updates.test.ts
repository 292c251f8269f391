// /ws/cart/{user_id}/ with a real WebSocket client, on two cart instances sharing the database:
// a change made through one instance (REST) or by the catalogue sync consumer (real Kafka, this
// file's own topic prefix) reaches a buyer connected to the other one, through PostgreSQL NOTIFY.
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import {
  KafkaBus,
  LiveCloseCode,
  LiveHub,
  Topics,
  createEnvelope,
  createLogger,
  liveUpdatesPlugin,
  subscribeConsumers,
  topicName,
  type LiveMessage,
  type Subscription,
} from '@sudamall/shared';
import { TEST_JWT_SECRET, connectLive, createTestTopics, testToken, testTopicPrefix, type LiveTestClient } from '@sudamall/shared/testing';
import { buildApp } from '../../src/http/app';
import { cartConsumers } from '../../src/infra/consumers';
import { CartLiveFeed } from '../../src/live/cart-live-feed';
import { DATABASE_URL, newBuyer, startHarness, type Harness } from '../support/harness';

const logger = createLogger({ name: 'cart-live-test', level: 'silent' });
const prefix = testTopicPrefix();

interface Instance {
  app: FastifyInstance;
  feed: CartLiveFeed;
  base: string;
}

let h: Harness;
let a: Instance;
let b: Instance;
let bus: KafkaBus;
let consumers: Subscription[];
const clients: LiveTestClient[] = [];

async function startInstance(): Promise<Instance> {
  const feed = new CartLiveFeed(new LiveHub({ heartbeatIntervalMs: 200 }), h.container.useCases.getCart, h.container.carts, logger, {
    databaseUrl: DATABASE_URL,
  });
  const app = await buildApp({ useCases: h.container.useCases, auth: { secret: TEST_JWT_SECRET }, logger });
  await app.register(liveUpdatesPlugin, { hub: feed.hub, auth: { secret: TEST_JWT_SECRET }, streams: [feed.stream()] });
  await app.listen({ host: '127.0.0.1', port: 0 });
  await feed.start();
  return { app, feed, base: `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
}

beforeAll(async () => {
  h = await startHarness();
  a = await startInstance();
  b = await startInstance();
  bus = new KafkaBus({ brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','), clientId: 'cart-live-test', logger });
  await createTestTopics(bus, prefix);
  consumers = await subscribeConsumers(bus, cartConsumers(h.container.useCases, logger), prefix);
}, 60000);

afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

afterAll(async () => {
  await Promise.allSettled((consumers ?? []).map((s) => s.stop()));
  await bus?.disconnect();
  for (const i of [a, b]) {
    await i?.feed.stop();
    await i?.app.close();
  }
  await h?.close();
});

async function watch(instance: Instance, userId: string, token: string | undefined, opts: { autoPong?: boolean } = {}) {
  const c = await connectLive(instance.base, `/ws/cart/${userId}/`, { token, autoPong: opts.autoPong });
  clients.push(c);
  return c;
}

type CartData = {
  user_id: string;
  cart: { items: Array<{ product_id: string; quantity: number; current_price: string }>; total: string; item_count: number };
  changes: Array<{ kind: string; reason: string; old_value: string | null; new_value: string | null }>;
};
const cartUpdate = (match: (d: CartData) => boolean) => (m: LiveMessage) => m.type === 'cart.updated' && match(m.data as CartData);

it('sends the cart on connect, then pushes a change made through the other instance', async () => {
  const buyer = newBuyer();
  const c = await watch(b, buyer.id, testToken({ sub: buyer.id, role: 'buyer' }));
  await c.next(cartUpdate((d) => d.cart.items.length === 0 && d.user_id === buyer.id));
  const p = h.inventory.add({ price: '12.00' });
  const res = await a.app.inject({ method: 'POST', url: '/api/v1/carts/add/', headers: buyer.auth, payload: { product_id: p.id, quantity: 2 } });
  expect(res.statusCode).toBe(201);
  const pushed = await c.next(cartUpdate((d) => d.cart.items.length === 1));
  expect((pushed.data as CartData).cart).toMatchObject({ total: '24.00', item_count: 2, items: [{ product_id: p.id, quantity: 2 }] });
  expect(Date.parse(pushed.occurred_at)).not.toBeNaN();
});

it('pushes the catalogue sync (a price change from inventory.events) with the change the buyer has not seen', async () => {
  const buyer = newBuyer();
  const p = h.inventory.add({ name: 'Kettle', price: '30.00' });
  await a.app.inject({ method: 'POST', url: '/api/v1/carts/add/', headers: buyer.auth, payload: { product_id: p.id, quantity: 1 } });
  const c = await watch(b, buyer.id, testToken({ sub: buyer.id, role: 'buyer' }));
  await c.next(cartUpdate((d) => d.cart.items.length === 1));
  await bus.publish(topicName(prefix, Topics.inventoryEvents), [
    createEnvelope('product.price_changed', p.id, { product_id: p.id, old_price: '30.00', new_price: '27.50' }),
  ]);
  const pushed = await c.next(
    cartUpdate((d) => d.cart.items[0]?.current_price === '27.50'),
    45000,
  );
  expect((pushed.data as CartData).changes).toEqual([expect.objectContaining({ kind: 'price_changed', old_value: '30.00', new_value: '27.50' })]);
  // The push did not acknowledge the change: the buyer's own GET still shows it.
  const cart = (await a.app.inject({ method: 'GET', url: '/api/v1/carts/', headers: buyer.auth })).json();
  expect(cart.changes).toHaveLength(1);
});

it("closes another buyer's cart with 4403 and a connection without a token with 4401", async () => {
  const buyer = newBuyer();
  const intruder = await watch(a, buyer.id, testToken({ sub: newBuyer().id, role: 'buyer' }));
  expect((await intruder.closed).code).toBe(LiveCloseCode.forbidden);
  const anonymous = await watch(a, buyer.id, undefined);
  expect((await anonymous.closed).code).toBe(LiveCloseCode.unauthenticated);
});

it('terminates a client that never answers pings; the live one keeps getting changes', async () => {
  const buyer = newBuyer();
  const token = testToken({ sub: buyer.id, role: 'buyer' });
  const dead = await watch(a, buyer.id, token, { autoPong: false });
  const live = await watch(a, buyer.id, token);
  await dead.next((m) => m.type === 'cart.updated');
  await live.next((m) => m.type === 'cart.updated');
  expect((await dead.closed).code).toBe(1006);
  const p = h.inventory.add({ price: '3.00' });
  await b.app.inject({ method: 'POST', url: '/api/v1/carts/add/', headers: buyer.auth, payload: { product_id: p.id, quantity: 1 } });
  await live.next(cartUpdate((d) => d.cart.items.length === 1));
  expect(a.feed.hub.subscriberCount('cart', buyer.id)).toBe(1);
});
