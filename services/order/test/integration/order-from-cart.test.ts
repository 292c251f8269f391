// POST /api/v1/orders/create/ without items: the spec's "create order from cart" (issue 14).
// Order asks cart's CheckoutCart over real gRPC (a stateful cart peer on 127.0.0.1 that, like
// the real one, places the order through this service's PlaceOrder and empties the cart), and
// answers the placed order as a create does; cart's errors come back with their codes. The
// real CheckoutCart handler is tested in services/cart (grpc-cart.test.ts).
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { cart as cartPb } from '@sudamall/proto';
import { conflict, createLogger, grpcHandler, startGrpcServer, type GrpcServerHandle } from '@sudamall/shared';
import { bearer, TEST_JWT_SECRET } from '@sudamall/shared/testing';
import { OrderFromCart } from '../../src/app/order-from-cart';
import { buildApp } from '../../src/http/app';
import { CartCheckoutClient } from '../../src/infra/grpc-clients';
import { startHarness, type Harness } from '../fixtures/harness';

let h: Harness;
let app: FastifyInstance;
let server: GrpcServerHandle;
let client: CartCheckoutClient;
/** The peer's carts: user → lines; and its checkout attempts: (user, key) → order id. */
const carts = new Map<string, Array<{ productId: string; quantity: number }>>();
const attempts = new Map<string, string>();
const calls: cartPb.CheckoutCartRequest[] = [];
let pricesChangedFor: string | null = null;

beforeAll(async () => {
  h = await startHarness({ kafka: false, env: { PLACE_ORDER_WAIT_MS: '0' } });
  const impl: cartPb.CartServiceServer = {
    getCart: grpcHandler(async () => {
      throw new Error('not used');
    }),
    checkoutCart: grpcHandler<cartPb.CheckoutCartRequest, cartPb.CheckoutCartResponse>(async (req) => {
      calls.push(req);
      if (pricesChangedFor === req.userId) {
        throw conflict('PRICES_CHANGED', 'prices in the cart changed', { items: [{ product_id: 'p', old_price: '1.00', new_price: '2.00' }] });
      }
      const lines = carts.get(req.userId) ?? [];
      const key = `${req.userId}:${req.idempotencyKey || JSON.stringify(lines)}`;
      const earlier = attempts.get(key) ?? attempts.get(`${req.userId}:${req.idempotencyKey || 'emptied'}`);
      if (earlier) return { orderId: earlier, status: 'pending', replayed: true };
      if (lines.length === 0) throw conflict('CART_EMPTY', 'the cart is empty');
      const { orderId } = await h.c.useCases.placeOrder.execute({
        userId: req.userId,
        idempotencyKey: `cart-checkout:${key}`,
        items: lines,
        shippingAddress: req.shippingAddress || undefined,
        addressId: req.addressId || undefined,
        notes: req.notes,
        waitMs: 0,
      });
      attempts.set(key, orderId);
      if (!req.idempotencyKey) attempts.set(`${req.userId}:emptied`, orderId);
      carts.set(req.userId, []);
      return { orderId, status: 'pending', replayed: false };
    }),
  };
  server = await startGrpcServer({
    host: '127.0.0.1',
    port: 0,
    services: [{ definition: cartPb.CartServiceService, implementation: impl }],
    logger: createLogger({ name: 'cart-peer', level: 'warn' }),
  });
  client = new CartCheckoutClient(`127.0.0.1:${server.port}`, 5000);
  app = await buildApp({ useCases: { ...h.c.useCases, orderFromCart: new OrderFromCart(client) }, auth: { secret: TEST_JWT_SECRET } });
});
afterAll(async () => {
  await app?.close();
  client?.close();
  await server?.close();
  await h?.close();
});

const create = (auth: string, payload: Record<string, unknown>, key?: string) =>
  app.inject({ method: 'POST', url: '/api/v1/orders/create/', headers: { authorization: auth, ...(key ? { 'idempotency-key': key } : {}) }, payload });

it("without items, creates the order from the buyer's cart through cart's checkout and answers it as a create does", async () => {
  const userId = randomUUID();
  const auth = bearer({ sub: userId, role: 'buyer' });
  const lamp = h.catalog.add({ price: '10.00' });
  const pen = h.catalog.add({ price: '2.50' });
  carts.set(userId, [
    { productId: lamp.id, quantity: 2 },
    { productId: pen.id, quantity: 1 },
  ]);

  const res = await create(auth, { shipping_address: '1 Nile St, Khartoum', notes: 'ring twice' });
  expect(res.statusCode).toBe(201);
  const order = res.json();
  expect(order).toMatchObject({ user_id: userId, status: 'pending', total_amount: '22.50', shipping_address: '1 Nile St, Khartoum', notes: 'ring twice' });
  expect(order.items.map((i: { product_id: string; quantity: number }) => [i.product_id, i.quantity]).sort()).toEqual(
    [
      [lamp.id, 2],
      [pen.id, 1],
    ].sort(),
  );
  expect(calls.at(-1)).toMatchObject({ userId, idempotencyKey: '', shippingAddress: '1 Nile St, Khartoum', addressId: '', notes: 'ring twice' });
  expect(carts.get(userId)).toEqual([]);

  // The identical request again (no key): cart answers the same order; order replays it with 200.
  const again = await create(auth, { shipping_address: '1 Nile St, Khartoum', notes: 'ring twice' });
  expect(again.statusCode).toBe(200);
  expect(again.json().order_id).toBe(order.order_id);
  expect(await h.c.db.order.count({ where: { userId } })).toBe(1);
});

it("passes the Idempotency-Key and address_id on, and answers the cart's errors with their codes", async () => {
  const userId = randomUUID();
  const auth = bearer({ sub: userId, role: 'buyer' });
  const empty = await create(auth, { shipping_address: 'x' }, 'key-1');
  expect(empty.statusCode).toBe(409);
  expect(empty.json().error.code).toBe('CART_EMPTY');
  expect(calls.at(-1)).toMatchObject({ userId, idempotencyKey: 'key-1' });

  pricesChangedFor = userId;
  try {
    const changed = await create(auth, { address_id: 'addr-1' });
    expect(changed.statusCode).toBe(409);
    expect(changed.json().error).toMatchObject({ code: 'PRICES_CHANGED', details: { items: [{ old_price: '1.00', new_price: '2.00' }] } });
    expect(calls.at(-1)).toMatchObject({ userId, addressId: 'addr-1', shippingAddress: '' });
  } finally {
    pricesChangedFor = null;
  }
  const windowed = await create(auth, { shipping_address: 'x', payment_window_seconds: 5 });
  expect(windowed.statusCode).toBe(422);
  expect(windowed.json().error.code).toBe('PAYMENT_WINDOW_NEEDS_ITEMS');
});

it('answers 503 when cart cannot be reached', async () => {
  const down = new CartCheckoutClient('127.0.0.1:1', 2000);
  const offline = await buildApp({ useCases: { ...h.c.useCases, orderFromCart: new OrderFromCart(down) }, auth: { secret: TEST_JWT_SECRET } });
  try {
    const res = await offline.inject({
      method: 'POST',
      url: '/api/v1/orders/create/',
      headers: { authorization: bearer({ sub: randomUUID(), role: 'buyer' }) },
      payload: { shipping_address: 'x' },
    });
    expect(res.statusCode).toBe(503);
  } finally {
    await offline.close();
    down.close();
  }
});
