// A shorter payment window for one order (issue 14): `npm run up`'s demo shows an expiry with
// `payment_window_seconds` on create instead of starting the platform with a 20-second window
// that stayed in force for every order placed afterwards. Real PostgreSQL and Kafka (the test
// plays inventory: it reads inventory.commands and publishes stock.reserved).
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { bearer } from '@sudamall/shared/testing';
import { eventually } from '@sudamall/shared/testing';
import { loadConfig } from '../../src/config';
import { buildTestApp, startHarness, type Harness } from '../fixtures/harness';

let h: Harness;
let app: FastifyInstance;
beforeAll(async () => {
  h = await startHarness({ env: { PLACE_ORDER_WAIT_MS: '0' } }); // NODE_ENV=test: test mode on by default
  app = await buildTestApp(h);
});
afterAll(async () => {
  await app?.close();
  await h?.close();
});

const buyer = () => bearer({ sub: randomUUID(), role: 'buyer' });

async function create(auth: string, extra: Record<string, unknown> = {}) {
  const p = h.catalog.add({ price: '5.00' });
  return app.inject({
    method: 'POST',
    url: '/api/v1/orders/create/',
    headers: { authorization: auth, 'idempotency-key': randomUUID() },
    payload: { items: [{ product_id: p.id, quantity: 1 }], shipping_address: '3 White Nile Ave', ...extra },
  });
}

async function reserve(orderId: string) {
  const reserveCmd = await eventually(
    () => {
      const c = h.commands.find((e) => e.key === orderId && e.type === 'inventory.reserve');
      expect(c).toBeDefined();
      return c!;
    },
    { timeoutMs: 30000 },
  );
  const lines = (reserveCmd.data as { lines: Array<{ line_id: string; product_id: string; size: string | null; quantity: number }> }).lines;
  await h.publish('inventory.events', 'stock.reserved', { order_id: orderId, lines: lines.map((l) => ({ ...l, reservation_id: randomUUID() })) });
  return eventually(
    async () => {
      const o = await h.c.db.order.findUniqueOrThrow({ where: { id: orderId } });
      expect(o.status).toBe('under_paying');
      return o;
    },
    { timeoutMs: 30000 },
  );
}

it('an order placed with payment_window_seconds lapses after it; the next order without one keeps the 15-minute window', async () => {
  const res = await create(buyer(), { payment_window_seconds: 3 });
  expect(res.statusCode).toBe(201);
  const short = await reserve(res.json().order_id);
  const shortWindow = short.paymentExpiresAt!.getTime() - Date.now();
  expect(shortWindow).toBeLessThanOrEqual(3000);
  expect(shortWindow).toBeGreaterThan(-5000);

  const next = await create(buyer());
  const normal = await reserve(next.json().order_id);
  expect(normal.paymentExpiresAt!.getTime() - Date.now()).toBeGreaterThan(14 * 60_000);

  const lapsed = await eventually(
    async () => {
      const o = await h.c.db.order.findUniqueOrThrow({ where: { id: short.id } });
      expect(o.status).toBe('cancelled');
      return o;
    },
    { timeoutMs: 30000 },
  );
  expect(lapsed.cancelReason).toBe('payment_timeout');
  expect((await h.c.db.order.findUniqueOrThrow({ where: { id: normal.id } })).status).toBe('under_paying');
});

it('only shortens: more than the platform window is 422 INVALID_PAYMENT_WINDOW, nothing placed', async () => {
  const auth = buyer();
  const res = await create(auth, { payment_window_seconds: 901 });
  expect(res.statusCode).toBe(422);
  expect(res.json().error.code).toBe('INVALID_PAYMENT_WINDOW');
  const list = await app.inject({ method: 'GET', url: '/api/v1/orders/', headers: { authorization: auth } });
  expect(list.json().total).toBe(0);
});

describe('outside test mode', () => {
  let prod: Harness;
  let prodApp: FastifyInstance;
  beforeAll(async () => {
    prod = await startHarness({ kafka: false, env: { PLACE_ORDER_WAIT_MS: '0', ORDER_TEST_MODE: 'false' } });
    prodApp = await buildTestApp(prod);
  });
  afterAll(async () => {
    await prodApp?.close();
    await prod?.close();
  });

  it('refuses payment_window_seconds with 422 PAYMENT_WINDOW_TEST_MODE_ONLY', async () => {
    const p = prod.catalog.add({ price: '5.00' });
    const res = await prodApp.inject({
      method: 'POST',
      url: '/api/v1/orders/create/',
      headers: { authorization: buyer(), 'idempotency-key': randomUUID() },
      payload: { items: [{ product_id: p.id, quantity: 1 }], shipping_address: 'x', payment_window_seconds: 20 },
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe('PAYMENT_WINDOW_TEST_MODE_ONLY');
  });

  it('is off by default in production and refused on there', () => {
    const base = { NODE_ENV: 'production', DATABASE_URL: 'postgresql://u:p@127.0.0.1:5432/order', JWT_JWKS_URL: 'https://127.0.0.1:1/jwks' };
    expect(loadConfig(base).ORDER_TEST_MODE).toBe(false);
    expect(loadConfig({ NODE_ENV: 'development', DATABASE_URL: base.DATABASE_URL, JWT_SECRET: 'a-local-development-secret' }).ORDER_TEST_MODE).toBe(true);
    expect(() => loadConfig({ ...base, ORDER_TEST_MODE: 'true' })).toThrow(/ORDER_TEST_MODE must be off in production/);
  });
});
