// Authentication and authorization of the four services, through their public REST APIs, on a
// platform that checks the token's issuer and audience and limits each caller's request rate:
// forged, unsigned, expired and misaddressed tokens are 401, a wrong role 403, and one buyer
// (or one store's seller) can neither read nor change what belongs to another.
import { randomUUID } from 'node:crypto';
import { signToken } from '@sudamall/shared';
import { TEST_JWT_SECRET } from '@sudamall/shared/testing';
import { ApiClient, startPlatform, type Platform, type ServiceName } from './platform';

const ISSUER = 'https://auth.sudamall.test/';
const AUDIENCE = 'sudamall-api';
// testToken (and so ApiClient.as) signs with JWT_ISSUER / JWT_AUDIENCE when set.
process.env.JWT_ISSUER = ISSUER;
process.env.JWT_AUDIENCE = AUDIENCE;
// High enough for everything below (counted per user, or per address for anonymous and bad
// tokens), low enough for one test to reach it.
const RATE_LIMIT_MAX = 60;

let platform: Platform;
let sellerA: ApiClient;
let sellerB: ApiClient;
let admin: ApiClient;
let buyerA: ApiClient;
let buyerB: ApiClient;
let product: { id: string };
let order: { order_id: string };
let payment: { payment_id: string };
let cartItemId: string;

const buyer = () => ApiClient.as(platform, { sub: `buyer-${randomUUID()}`, role: 'buyer' });

beforeAll(async () => {
  platform = await startPlatform({
    ownDatabases: true,
    commonEnv: { JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, RATE_LIMIT_MAX: String(RATE_LIMIT_MAX), RATE_LIMIT_WINDOW_MS: '60000' },
  });
  sellerA = ApiClient.as(platform, { sub: `seller-${randomUUID()}`, role: 'seller', store_id: `store-a-${randomUUID().slice(0, 8)}` });
  sellerB = ApiClient.as(platform, { sub: `seller-${randomUUID()}`, role: 'seller', store_id: `store-b-${randomUUID().slice(0, 8)}` });
  admin = ApiClient.as(platform, { sub: `admin-${randomUUID()}`, role: 'admin' });
  buyerA = buyer();
  buyerB = buyer();

  product = await sellerA.expect(201, 'inventory', 'POST', '/api/v1/products/', {
    product_name: 'Security mug',
    price: '10.00',
    has_sizes: false,
    available_quantity: 20,
  });
  // Buyer A: an order waiting for payment, a payment for it, and one more item in the cart.
  order = await buyerA.expect(
    201,
    'cart',
    'POST',
    '/api/v1/carts/checkout/single/',
    {
      product_id: product.id,
      quantity: 1,
      shipping_address: '1 Private Lane',
    },
    { 'idempotency-key': randomUUID() },
  );
  payment = await buyerA.expect(201, 'payment', 'POST', '/api/v1/payments/create/', { order_id: order.order_id, gateway: 'test_gateway' });
  const added = await buyerA.expect(201, 'cart', 'POST', '/api/v1/carts/add/', { product_id: product.id, quantity: 2 });
  cartItemId = added.id ?? added.cart_item_id ?? added.item?.id;
  if (!cartItemId) {
    const cart = await buyerA.expect(200, 'cart', 'GET', '/api/v1/carts/');
    cartItemId = cart.items[0].id ?? cart.items[0].cart_item_id;
  }
}, 120_000);

afterAll(async () => {
  await platform?.stop();
});

async function raw(service: ServiceName, method: string, path: string, headers: Record<string, string> = {}, body?: unknown) {
  const res = await fetch(`${platform.httpUrl(service)}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

function expectError(res: { status: number; body: any }, statuses: number[], code?: string) {
  if (!statuses.includes(res.status)) throw new Error(`expected ${statuses.join('|')}, got ${res.status} ${JSON.stringify(res.body)}`);
  expect(res.body).toEqual({ error: expect.objectContaining({ code: code ?? expect.any(String), message: expect.any(String) }) });
  expect(JSON.stringify(res.body)).not.toMatch(/at .+\.(js|ts):\d+/);
}

const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const nowS = () => Math.floor(Date.now() / 1000);

/** Every way a bearer token can be wrong, each for a buyer the services would otherwise accept. */
function badTokens(): Record<string, string> {
  const claims = { sub: `buyer-${randomUUID()}`, role: 'buyer' as const };
  const good = signToken(claims, { secret: TEST_JWT_SECRET, issuer: ISSUER, audience: AUDIENCE });
  const [header, payload] = good.split('.');
  return {
    'wrong signature': signToken(claims, { secret: 'not-the-secret-0123456789abcdef', issuer: ISSUER, audience: AUDIENCE }),
    'tampered payload': `${header}.${b64url({ ...claims, role: 'admin', iss: ISSUER, aud: AUDIENCE, exp: nowS() + 3600 })}.${good.split('.')[2]}`,
    'alg none': `${b64url({ alg: 'none', typ: 'JWT' })}.${payload}.`,
    expired: signToken(claims, { secret: TEST_JWT_SECRET, issuer: ISSUER, audience: AUDIENCE, expiresIn: -60_000 }),
    'wrong issuer': signToken(claims, { secret: TEST_JWT_SECRET, issuer: 'https://evil.example/', audience: AUDIENCE }),
    'no issuer': signToken(claims, { secret: TEST_JWT_SECRET, audience: AUDIENCE }),
    'wrong audience': signToken(claims, { secret: TEST_JWT_SECRET, issuer: ISSUER, audience: 'another-api' }),
    'no role': signToken({ sub: claims.sub } as never, { secret: TEST_JWT_SECRET, issuer: ISSUER, audience: AUDIENCE }),
    'unknown role': signToken({ sub: claims.sub, role: 'superuser' } as never, { secret: TEST_JWT_SECRET, issuer: ISSUER, audience: AUDIENCE }),
    'seller without store': signToken({ sub: claims.sub, role: 'seller' }, { secret: TEST_JWT_SECRET, issuer: ISSUER, audience: AUDIENCE }),
    garbage: 'not.a.jwt',
  };
}

const PROTECTED: Array<[ServiceName, string, string]> = [
  ['cart', 'GET', '/api/v1/carts/'],
  ['order', 'GET', '/api/v1/orders/'],
  ['payment', 'GET', '/api/v1/payments/my-payments/'],
  ['inventory', 'POST', '/api/v1/products/'],
];

describe.each(PROTECTED)('%s %s %s', (service, method, path) => {
  // A valid body: fastify validates before the auth preHandler, so a bad body is 400 first.
  const body = method === 'POST' ? { product_name: 'x', price: '1.00' } : undefined;

  test('without a token, or with a malformed Authorization header: 401 UNAUTHENTICATED', async () => {
    expectError(await raw(service, method, path, {}, body), [401], 'UNAUTHENTICATED');
    expectError(await raw(service, method, path, { authorization: 'Basic dXNlcjpwYXNz' }, body), [401], 'UNAUTHENTICATED');
    expectError(await raw(service, method, path, { authorization: 'Bearer' }, body), [401], 'UNAUTHENTICATED');
  });

  test.each(Object.keys(badTokens()))('a token with %s: 401 UNAUTHENTICATED', async (kind) => {
    const token = badTokens()[kind];
    expectError(await raw(service, method, path, { authorization: `Bearer ${token}` }, body), [401], 'UNAUTHENTICATED');
  });
});

test('the issuer and audience the platform expects are accepted (the 401s above are about the token, not the setup)', async () => {
  await buyer().expect(200, 'cart', 'GET', '/api/v1/carts/');
});

test('a wrong role is 403 FORBIDDEN on every role-guarded route', async () => {
  expectError(await buyerA.request('inventory', 'POST', '/api/v1/products/', { product_name: 'x', price: '1.00' }), [403], 'FORBIDDEN');
  expectError(await sellerA.request('cart', 'GET', '/api/v1/carts/'), [403], 'FORBIDDEN');
  expectError(await sellerA.request('cart', 'POST', '/api/v1/carts/add/', { product_id: product.id, quantity: 1 }), [403], 'FORBIDDEN');
  expectError(await sellerA.request('order', 'GET', '/api/v1/accounts/order-history/'), [403], 'FORBIDDEN');
  expectError(await buyerA.request('order', 'PUT', `/api/v1/orders/${order.order_id}/status/`, { status: 'shipped' }), [403], 'FORBIDDEN');
  expectError(await sellerA.request('payment', 'POST', '/api/v1/payments/create/', { order_id: order.order_id, gateway: 'test_gateway' }), [403], 'FORBIDDEN');
  expectError(await buyerA.request('payment', 'POST', `/api/v1/payments/${payment.payment_id}/collect/`), [403], 'FORBIDDEN');
});

test('admin endpoints refuse anonymous callers (401), buyers and sellers (403), and answer admins', async () => {
  const adminRoutes: Array<[ServiceName, string, string, unknown?]> = [
    ['order', 'POST', '/api/v1/orders/admin/cleanup/expired/'],
    ['order', 'GET', '/api/v1/orders/admin/expired-count/'],
    ['order', 'GET', '/api/v1/orders/admin/sagas/'],
    ['payment', 'GET', '/api/v1/payments/refunds/'],
    ['payment', 'POST', '/api/v1/payments/refunds/create/', { payment_id: randomUUID(), reason: 'x' }],
  ];
  for (const [service, method, path, body] of adminRoutes) {
    expectError(await raw(service, method, path, {}, body), [401], 'UNAUTHENTICATED');
    for (const who of [buyerA, sellerA]) expectError(await who.request(service, method, path, body), [403], 'FORBIDDEN');
  }
  await admin.expect(200, 'order', 'GET', '/api/v1/orders/admin/expired-count/');
  await admin.expect(200, 'order', 'GET', '/api/v1/orders/admin/sagas/');
  await admin.expect(200, 'payment', 'GET', '/api/v1/payments/refunds/');
});

test("a buyer can neither read nor change another buyer's cart, order or payment", async () => {
  const countBefore = (await buyerA.expect(200, 'cart', 'GET', '/api/v1/carts/count/')).count;
  // cart items are addressed by id: B cannot change or remove A's
  expectError(await buyerB.request('cart', 'PUT', `/api/v1/carts/update/${cartItemId}/`, { quantity: 5 }), [403, 404]);
  expectError(await buyerB.request('cart', 'DELETE', `/api/v1/carts/remove/${cartItemId}/`), [403, 404]);
  expect((await buyerA.expect(200, 'cart', 'GET', '/api/v1/carts/count/')).count).toBe(countBefore);
  expect((await buyerB.expect(200, 'cart', 'GET', '/api/v1/carts/count/')).count).toBe(0);

  // orders
  for (const path of [
    `/api/v1/orders/${order.order_id}/`,
    `/api/v1/orders/payment-status/${order.order_id}/`,
    `/api/v1/orders/check-payment/${order.order_id}/`,
  ]) {
    expectError(await buyerB.request('order', 'GET', path), [403, 404]);
  }
  expectError(await buyerB.request('order', 'POST', `/api/v1/orders/${order.order_id}/cancel/`, {}), [403, 404]);
  expect((await buyerB.expect(200, 'order', 'GET', '/api/v1/orders/')).total).toBe(0);
  expect((await buyerA.expect(200, 'order', 'GET', `/api/v1/orders/${order.order_id}/`)).status).toBe('under_paying');

  // payments
  expectError(await buyerB.request('payment', 'GET', `/api/v1/payments/detail/${payment.payment_id}/`), [403, 404]);
  expectError(await buyerB.request('payment', 'GET', `/api/v1/payments/status/${order.order_id}/`), [403, 404]);
  expectError(await buyerB.request('payment', 'POST', '/api/v1/payments/create/', { order_id: order.order_id, gateway: 'test_gateway' }), [403, 404]);
  expectError(
    await buyerB.request('payment', 'POST', '/api/v1/payments/process/', { payment_id: payment.payment_id, card_number: '4242424242424242' }),
    [403, 404],
  );
  expect((await buyerB.expect(200, 'payment', 'GET', '/api/v1/payments/my-payments/')).total).toBe(0);
  const mine = await buyerA.expect(200, 'payment', 'GET', `/api/v1/payments/detail/${payment.payment_id}/`);
  expect(mine.status).toBe('pending');
});

test("a seller changes neither another store's products nor its orders", async () => {
  const before = await sellerA.expect(200, 'inventory', 'GET', `/api/v1/products/${product.id}/stock/`);
  expectError(await sellerB.request('inventory', 'PATCH', `/api/v1/products/${product.id}/`, { price: '0.01' }), [403, 404]);
  expectError(await sellerB.request('inventory', 'PUT', `/api/v1/products/${product.id}/stock/`, { available_quantity: 0 }), [403, 404]);
  expectError(await sellerB.request('inventory', 'POST', `/api/v1/products/${product.id}/stock/adjust/`, { delta: -5, reason: 'theft' }), [403, 404]);
  expectError(await sellerB.request('inventory', 'DELETE', `/api/v1/products/${product.id}/`), [403, 404]);
  expect(await sellerA.expect(200, 'inventory', 'GET', `/api/v1/products/${product.id}/stock/`)).toEqual(before);
  expect((await sellerA.expect(200, 'inventory', 'GET', `/api/v1/products/${product.id}/`)).price).toBe('10.00');
  // a seller cannot list a product under another store either
  const listed = await sellerB.request('inventory', 'POST', '/api/v1/products/', { product_name: 'Planted', price: '1.00', store_id: 'store-a-someone-else' });
  if (listed.status === 201) expect(listed.body.store_id).not.toBe('store-a-someone-else');
  else expectError(listed, [400, 403]);

  expectError(await sellerB.request('order', 'PUT', `/api/v1/orders/${order.order_id}/status/`, { status: 'cancelled' }), [403, 404]);
  // Only a seller of a store in the order collects its payment (store_ids from GetOrderForPayment).
  expectError(await sellerB.request('payment', 'POST', `/api/v1/payments/${payment.payment_id}/collect/`), [403], 'FORBIDDEN');
  expect((await buyerA.expect(200, 'order', 'GET', `/api/v1/orders/${order.order_id}/`)).status).toBe('under_paying');
});

test('past RATE_LIMIT_MAX requests in the window a caller gets 429 RATE_LIMITED with Retry-After; other callers do not', async () => {
  const greedy = buyer();
  const statuses: number[] = [];
  for (let i = 0; i <= RATE_LIMIT_MAX; i += 1) statuses.push((await greedy.request('cart', 'GET', '/api/v1/carts/count/')).status);
  expect(statuses.slice(0, RATE_LIMIT_MAX).every((s) => s === 200)).toBe(true);
  expect(statuses[RATE_LIMIT_MAX]).toBe(429);
  const limited = await raw('cart', 'GET', '/api/v1/carts/count/', { authorization: `Bearer ${greedy.token}` });
  expectError(limited, [429], 'RATE_LIMITED');
  const retryAfter = Number(limited.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(60);
  await buyer().expect(200, 'cart', 'GET', '/api/v1/carts/count/');
  // health is never limited
  for (let i = 0; i < 3; i += 1) expect((await raw('cart', 'GET', '/healthz')).status).toBe(200);
});
