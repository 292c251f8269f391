// The checkout across all four services, through their public REST APIs, as a storefront
// drives it: cart → order (gRPC PlaceOrder) → inventory (Kafka saga) → payment (test
// gateway) → processing → shipped → delivered, plus the paths where money or stock could go
// wrong: a declined card, a lapsed payment window, a payment after expiry, the last unit
// wanted twice.
import { randomUUID } from 'node:crypto';
import { ApiClient, eventuallyValue, startPlatform, type Platform } from './platform';

const WINDOW_SECONDS = 8;
let platform: Platform;
let seller: ApiClient;
let admin: ApiClient;

beforeAll(async () => {
  platform = await startPlatform({ paymentWindowSeconds: WINDOW_SECONDS, ownDatabases: true });
  const store = `store-${randomUUID().slice(0, 8)}`;
  seller = ApiClient.as(platform, { sub: `seller-${randomUUID()}`, role: 'seller', store_id: store });
  admin = ApiClient.as(platform, { sub: `admin-${randomUUID()}`, role: 'admin' });
}, 90_000);

afterAll(async () => {
  await platform?.stop();
});

const buyer = () => ApiClient.as(platform, { sub: `buyer-${randomUUID()}`, role: 'buyer' });

async function listProduct(extra: Record<string, unknown>): Promise<{ id: string }> {
  return seller.expect(201, 'inventory', 'POST', '/api/v1/products/', {
    product_name: `E2E product ${randomUUID().slice(0, 6)}`,
    product_description: 'end-to-end',
    price: '10.00',
    color: 'black',
    brand: 'Sudamall',
    category: 'test',
    ...extra,
  });
}

const stockOf = (productId: string) => seller.expect(200, 'inventory', 'GET', `/api/v1/products/${productId}/stock/`);
const orderOf = (who: ApiClient, orderId: string) => who.expect(200, 'order', 'GET', `/api/v1/orders/${orderId}/`);
const waitOrder = (who: ApiClient, orderId: string, status: string, timeoutMs = 20_000) =>
  eventuallyValue(() => orderOf(who, orderId), (o: any) => o.status === status, { timeoutMs });

async function payWith(who: ApiClient, orderId: string, card: string): Promise<{ paymentId: string; status: number; body: any }> {
  let payment = await who.request('payment', 'POST', '/api/v1/payments/create/', { order_id: orderId, gateway: 'test_gateway' });
  if (payment.status === 409) payment = await who.request('payment', 'GET', `/api/v1/payments/status/${orderId}/`);
  const paymentId = payment.body.payment_id;
  const processed = await who.request('payment', 'POST', '/api/v1/payments/process/', { payment_id: paymentId, card_number: card });
  return { paymentId, status: processed.status, body: processed.body };
}

test('a cart checkout is reserved, paid, confirmed, shipped and delivered; a retried checkout makes one order', async () => {
  const mug = await listProduct({ price: '12.50', has_sizes: false, available_quantity: 10 });
  const shirt = await listProduct({ price: '19.99', has_sizes: true, sizes: [{ size: 'M', available_quantity: 3 }] });
  const b = buyer();

  await b.expect(201, 'cart', 'POST', '/api/v1/carts/add/', { product_id: mug.id, quantity: 2 });
  await b.expect(201, 'cart', 'POST', '/api/v1/carts/add/', { product_id: shirt.id, quantity: 1, size: 'M' });
  const cart = await b.expect(200, 'cart', 'GET', '/api/v1/carts/');
  expect(cart.total).toBe('44.99');

  const key = randomUUID();
  const checkout = await b.expect(201, 'cart', 'POST', '/api/v1/carts/checkout/full/', { shipping_address: '1 Nile St' }, { 'idempotency-key': key });
  expect(checkout.status).toBe('under_paying');
  expect(checkout.total_amount).toBe('44.99');
  expect(checkout.payment_expires_at).toBeTruthy();

  // The same key again: the same order, not a second one.
  const retried = await b.request('cart', 'POST', '/api/v1/carts/checkout/full/', { shipping_address: '1 Nile St' }, { 'idempotency-key': key });
  expect([200, 201]).toContain(retried.status);
  expect(retried.body.order_id).toBe(checkout.order_id);
  const mine = await b.expect(200, 'order', 'GET', '/api/v1/orders/');
  expect(mine.items.filter((o: any) => o.order_id === checkout.order_id)).toHaveLength(1);
  expect(mine.total).toBe(1);

  // Checked-out items leave the cart once the order is accepted; the stock is held.
  expect((await b.expect(200, 'cart', 'GET', '/api/v1/carts/count/')).count).toBe(0);
  expect(await stockOf(mug.id)).toMatchObject({ available_quantity: 8, reserved_quantity: 2, sold_quantity: 0 });

  const paid = await payWith(b, checkout.order_id, '4242424242424242');
  expect(paid.status).toBe(200);
  expect(paid.body.outcome).toBe('succeeded');
  expect(paid.body.payment.total_amount).toBeDefined();
  const processing = await waitOrder(b, checkout.order_id, 'processing');
  expect(processing.items).toHaveLength(2);
  expect(processing.items.map((i: any) => i.product_snapshot?.product_name).sort()).toEqual(
    expect.arrayContaining([expect.stringContaining('E2E product')]),
  );
  expect(await stockOf(mug.id)).toMatchObject({ available_quantity: 8, reserved_quantity: 0, sold_quantity: 2 });
  const shirtStock = await stockOf(shirt.id);
  expect(shirtStock.sizes).toEqual([expect.objectContaining({ size: 'M', available_quantity: 2, reserved_quantity: 0, sold_quantity: 1 })]);

  for (const status of ['shipped', 'delivered']) {
    const updated = await seller.expect(200, 'order', 'PUT', `/api/v1/orders/${checkout.order_id}/status/`, { status });
    expect(updated.status).toBe(status);
  }
  const refused = await seller.request('order', 'PUT', `/api/v1/orders/${checkout.order_id}/status/`, { status: 'processing' });
  expect(refused.status).toBe(409);
  expect(refused.body.error.code).toBe('INVALID_STATUS_TRANSITION');

  const history = await b.expect(200, 'order', 'GET', '/api/v1/accounts/order-history/');
  expect(JSON.stringify(history)).toContain(checkout.order_id);
});

test('a declined card leaves the window open and a good card then completes the order', async () => {
  const product = await listProduct({ has_sizes: false, available_quantity: 5 });
  const b = buyer();
  const order = await b.expect(201, 'cart', 'POST', '/api/v1/carts/checkout/single/', {
    product_id: product.id, quantity: 1, shipping_address: '2 Blue Nile Rd',
  }, { 'idempotency-key': randomUUID() });
  expect(order.status).toBe('under_paying');

  // A decline is an outcome of the attempt, not a malformed request: 200 with the reason.
  const declined = await payWith(b, order.order_id, '4000000000000002');
  expect(declined.status).toBe(200);
  expect(declined.body).toMatchObject({ outcome: 'failed', attempt_number: 1, retryable: true });
  expect((await orderOf(b, order.order_id)).status).toBe('under_paying');

  const accepted = await b.request('payment', 'POST', '/api/v1/payments/process/', { payment_id: declined.paymentId, card_number: '4242424242424242' });
  expect(accepted.status).toBe(200);
  expect(accepted.body).toMatchObject({ outcome: 'succeeded', attempt_number: 2 });
  await waitOrder(b, order.order_id, 'processing');
  expect(await stockOf(product.id)).toMatchObject({ available_quantity: 4, reserved_quantity: 0, sold_quantity: 1 });
});

test('an unpaid order expires after its window and its stock comes back', async () => {
  const product = await listProduct({ has_sizes: false, available_quantity: 3 });
  const b = buyer();
  const order = await b.expect(201, 'cart', 'POST', '/api/v1/carts/checkout/single/', {
    product_id: product.id, quantity: 2, shipping_address: '3 White Nile Ave',
  }, { 'idempotency-key': randomUUID() });
  expect(await stockOf(product.id)).toMatchObject({ available_quantity: 1, reserved_quantity: 2 });

  const cancelled = await waitOrder(b, order.order_id, 'cancelled', (WINDOW_SECONDS + 20) * 1000);
  expect(cancelled.cancel_reason).toBe('payment_timeout');
  await eventuallyValue(() => stockOf(product.id), (s: any) => s.available_quantity === 3 && s.reserved_quantity === 0);

  // Paying now is refused: the order is no longer payable.
  const late = await b.request('payment', 'POST', '/api/v1/payments/create/', { order_id: order.order_id, gateway: 'test_gateway' });
  expect(late.status).toBeGreaterThanOrEqual(400);
  expect(late.status).toBeLessThan(500);
});

test('the last unit wanted by two buyers: one order holds it, the other cart is told why, and buying it anyway is a clear 409', async () => {
  const product = await listProduct({ has_sizes: false, available_quantity: 1 });
  const [first, second] = [buyer(), buyer()];
  for (const b of [first, second]) {
    await b.expect(201, 'cart', 'POST', '/api/v1/carts/add/', { product_id: product.id, quantity: 1 });
  }
  const won = await first.expect(201, 'cart', 'POST', '/api/v1/carts/checkout/full/', { shipping_address: 'a' }, { 'idempotency-key': randomUUID() });
  expect(won.status).toBe('under_paying');
  expect(await stockOf(product.id)).toMatchObject({ available_quantity: 0, reserved_quantity: 1 });

  // inventory's stock.changed reaches the other cart: the item it can no longer have is taken
  // out, and the cart says what changed and why.
  const synced = await eventuallyValue(
    () => second.expect(200, 'cart', 'GET', '/api/v1/carts/'),
    (cart: any) => cart.items.length === 0,
  );
  expect(JSON.stringify(synced.changes)).toContain(product.id);

  const lost = await second.request('cart', 'POST', '/api/v1/carts/checkout/single/', {
    product_id: product.id, quantity: 1, shipping_address: 'b',
  }, { 'idempotency-key': randomUUID() });
  expect(lost.status).toBe(409);
  expect(lost.body.error.code).toBe('INSUFFICIENT_STOCK');
  expect(await stockOf(product.id)).toMatchObject({ available_quantity: 0, reserved_quantity: 1, sold_quantity: 0 });

  // Only the admin sees the saga board; the buyer is refused.
  expect((await first.request('order', 'GET', '/api/v1/orders/admin/sagas/')).status).toBe(403);
  expect((await admin.request('order', 'GET', '/api/v1/orders/admin/sagas/')).status).toBe(200);
});
