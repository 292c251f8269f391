// The checkout across all four services, through their public REST APIs, as a storefront
// drives it: cart → order (gRPC PlaceOrder) → inventory (Kafka saga) → payment (test
// gateway) → processing → shipped → delivered, plus the paths where money or stock could go
// wrong: a declined card, a lapsed payment window, a payment after expiry, the last unit
// wanted twice. Every call goes through the storefront's typed client (@sudamall/client).
import { randomUUID } from 'node:crypto';
import type { InventoryPaths, RequestBody } from '@sudamall/client';
import { ApiClient, eventuallyValue, expectStatus, startPlatform, type Platform } from './platform';

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

type NewProduct = RequestBody<InventoryPaths, '/api/v1/products', 'post'>;

async function listProduct(extra: Partial<NewProduct>) {
  return expectStatus(
    201,
    seller.api.inventory.POST('/api/v1/products', {
      body: {
        product_name: `E2E product ${randomUUID().slice(0, 6)}`,
        product_description: 'end-to-end',
        price: '10.00',
        color: 'black',
        brand: 'Sudamall',
        category: 'test',
        ...extra,
      },
    }),
  );
}

const stockOf = (productId: string) => expectStatus(200, seller.api.inventory.GET('/api/v1/products/{id}/stock', { params: { path: { id: productId } } }));
const orderOf = (who: ApiClient, orderId: string) =>
  expectStatus(200, who.api.order.GET('/api/v1/orders/{order_id}', { params: { path: { order_id: orderId } } }));
const waitOrder = (who: ApiClient, orderId: string, status: string, timeoutMs = 20_000) =>
  eventuallyValue(
    () => orderOf(who, orderId),
    (o) => o.status === status,
    { timeoutMs },
  );

async function payWith(who: ApiClient, orderId: string, card: string) {
  const created = await who.api.payment.POST('/api/v1/payments/create', { body: { order_id: orderId, gateway: 'test_gateway' } });
  const payment =
    created.response.status === 409
      ? await who.api.payment.GET('/api/v1/payments/status/{order_reference}', { params: { path: { order_reference: orderId } } })
      : created;
  const paymentId = payment.data!.payment_id;
  const processed = await who.api.payment.POST('/api/v1/payments/process', { body: { payment_id: paymentId, card_number: card } });
  return { paymentId, status: processed.response.status, body: processed.data, error: processed.error };
}

test('a cart checkout is reserved, paid, confirmed, shipped and delivered; a retried checkout makes one order', async () => {
  const mug = await listProduct({ price: '12.50', has_sizes: false, available_quantity: 10 });
  const shirt = await listProduct({ price: '19.99', has_sizes: true, sizes: [{ size: 'M', available_quantity: 3 }] });
  const b = buyer();

  await expectStatus(201, b.api.cart.POST('/api/v1/carts/add', { body: { product_id: mug.id, quantity: 2 } }));
  await expectStatus(201, b.api.cart.POST('/api/v1/carts/add', { body: { product_id: shirt.id, quantity: 1, size: 'M' } }));
  const cart = await expectStatus(200, b.api.cart.GET('/api/v1/carts'));
  expect(cart.total).toBe('44.99');

  const key = randomUUID();
  const checkoutFull = () =>
    b.api.cart.POST('/api/v1/carts/checkout/full', { params: { header: { 'idempotency-key': key } }, body: { shipping_address: '1 Nile St' } });
  const checkout = await expectStatus(201, checkoutFull());
  expect(checkout.status).toBe('under_paying');
  expect(checkout.total_amount).toBe('44.99');
  expect(checkout.payment_expires_at).toBeTruthy();

  // The same key again: the same order, not a second one.
  const retried = await checkoutFull();
  expect([200, 201]).toContain(retried.response.status);
  expect(retried.data?.order_id).toBe(checkout.order_id);
  const mine = await expectStatus(200, b.api.order.GET('/api/v1/orders'));
  expect(mine.items.filter((o) => o.order_id === checkout.order_id)).toHaveLength(1);
  expect(mine.total).toBe(1);

  // Checked-out items leave the cart once the order is accepted; the stock is held.
  expect((await expectStatus(200, b.api.cart.GET('/api/v1/carts/count'))).count).toBe(0);
  expect(await stockOf(mug.id)).toMatchObject({ available_quantity: 8, reserved_quantity: 2, sold_quantity: 0 });

  const paid = await payWith(b, checkout.order_id, '4242424242424242');
  expect(paid.status).toBe(200);
  expect(paid.body?.outcome).toBe('succeeded');
  expect(paid.body?.payment.total_amount).toBeDefined();
  const processing = await waitOrder(b, checkout.order_id, 'processing');
  expect(processing.items).toHaveLength(2);
  expect(processing.items.map((i) => (i.product_snapshot as { product_name?: string } | null)?.product_name).sort()).toEqual(
    expect.arrayContaining([expect.stringContaining('E2E product')]),
  );
  expect(await stockOf(mug.id)).toMatchObject({ available_quantity: 8, reserved_quantity: 0, sold_quantity: 2 });
  const shirtStock = await stockOf(shirt.id);
  expect(shirtStock.sizes).toEqual([expect.objectContaining({ size: 'M', available_quantity: 2, reserved_quantity: 0, sold_quantity: 1 })]);

  const setStatus = (status: 'processing' | 'shipped' | 'delivered') =>
    seller.api.order.PUT('/api/v1/orders/{order_id}/status', { params: { path: { order_id: checkout.order_id } }, body: { status } });
  for (const status of ['shipped', 'delivered'] as const) {
    const updated = await expectStatus(200, setStatus(status));
    expect(updated.status).toBe(status);
  }
  const refused = await setStatus('processing');
  expect(refused.response.status).toBe(409);
  expect(refused.error?.error.code).toBe('INVALID_STATUS_TRANSITION');

  const history = await expectStatus(200, b.api.order.GET('/api/v1/accounts/order-history'));
  expect(JSON.stringify(history)).toContain(checkout.order_id);
});

test('a declined card leaves the window open and a good card then completes the order', async () => {
  const product = await listProduct({ has_sizes: false, available_quantity: 5 });
  const b = buyer();
  const order = await expectStatus(
    201,
    b.api.cart.POST('/api/v1/carts/checkout/single', {
      params: { header: { 'idempotency-key': randomUUID() } },
      body: { product_id: product.id, quantity: 1, shipping_address: '2 Blue Nile Rd' },
    }),
  );
  expect(order.status).toBe('under_paying');

  // A decline is an outcome of the attempt, not a malformed request: 200 with the reason.
  const declined = await payWith(b, order.order_id, '4000000000000002');
  expect(declined.status).toBe(200);
  expect(declined.body).toMatchObject({ outcome: 'failed', attempt_number: 1, retryable: true });
  expect((await orderOf(b, order.order_id)).status).toBe('under_paying');

  const accepted = await b.api.payment.POST('/api/v1/payments/process', { body: { payment_id: declined.paymentId, card_number: '4242424242424242' } });
  expect(accepted.response.status).toBe(200);
  expect(accepted.data).toMatchObject({ outcome: 'succeeded', attempt_number: 2 });
  await waitOrder(b, order.order_id, 'processing');
  expect(await stockOf(product.id)).toMatchObject({ available_quantity: 4, reserved_quantity: 0, sold_quantity: 1 });
});

test('an unpaid order expires after its window and its stock comes back', async () => {
  const product = await listProduct({ has_sizes: false, available_quantity: 3 });
  const b = buyer();
  const order = await expectStatus(
    201,
    b.api.cart.POST('/api/v1/carts/checkout/single', {
      params: { header: { 'idempotency-key': randomUUID() } },
      body: { product_id: product.id, quantity: 2, shipping_address: '3 White Nile Ave' },
    }),
  );
  expect(await stockOf(product.id)).toMatchObject({ available_quantity: 1, reserved_quantity: 2 });

  const cancelled = await waitOrder(b, order.order_id, 'cancelled', (WINDOW_SECONDS + 20) * 1000);
  expect(cancelled.cancel_reason).toBe('payment_timeout');
  await eventuallyValue(
    () => stockOf(product.id),
    (s) => s.available_quantity === 3 && s.reserved_quantity === 0,
  );

  // Paying now is refused: the order is no longer payable.
  const late = await b.api.payment.POST('/api/v1/payments/create', { body: { order_id: order.order_id, gateway: 'test_gateway' } });
  expect(late.response.status).toBeGreaterThanOrEqual(400);
  expect(late.response.status).toBeLessThan(500);
});

test('the last unit wanted by two buyers: one order holds it, the other cart is told why, and buying it anyway is a clear 409', async () => {
  const product = await listProduct({ has_sizes: false, available_quantity: 1 });
  const [first, second] = [buyer(), buyer()];
  for (const b of [first, second]) {
    await expectStatus(201, b.api.cart.POST('/api/v1/carts/add', { body: { product_id: product.id, quantity: 1 } }));
  }
  const won = await expectStatus(
    201,
    first.api.cart.POST('/api/v1/carts/checkout/full', {
      params: { header: { 'idempotency-key': randomUUID() } },
      body: { shipping_address: 'a' },
    }),
  );
  expect(won.status).toBe('under_paying');
  expect(await stockOf(product.id)).toMatchObject({ available_quantity: 0, reserved_quantity: 1 });

  // inventory's stock.changed reaches the other cart: the item it can no longer have is taken
  // out, and the cart says what changed and why.
  const synced = await eventuallyValue(
    () => expectStatus(200, second.api.cart.GET('/api/v1/carts')),
    (cart) => cart.items.length === 0,
  );
  expect(JSON.stringify(synced.changes)).toContain(product.id);

  const lost = await second.api.cart.POST('/api/v1/carts/checkout/single', {
    params: { header: { 'idempotency-key': randomUUID() } },
    body: { product_id: product.id, quantity: 1, shipping_address: 'b' },
  });
  expect(lost.response.status).toBe(409);
  expect(lost.error?.error.code).toBe('INSUFFICIENT_STOCK');
  expect(await stockOf(product.id)).toMatchObject({ available_quantity: 0, reserved_quantity: 1, sold_quantity: 0 });

  // Only the admin sees the saga board; the buyer is refused.
  expect((await first.api.order.GET('/api/v1/orders/admin/sagas')).response.status).toBe(403);
  expect((await admin.api.order.GET('/api/v1/orders/admin/sagas')).response.status).toBe(200);
});
