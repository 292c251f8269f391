// A client written from the usage guide (/work/shared/spec/usage-guide.md) works against the
// four real services (issue 14): it sends no Idempotency-Key, creates its order from the cart
// with POST /orders/create/ and no items, is never charged a price it was not shown, pays on
// the test gateway with a card the gateway does not list, at the spec's 2.00 + 2.5 %, inside the
// spec's 15-minute window. Every call goes through the storefront's typed client (@sudamall/client).
import { randomUUID } from 'node:crypto';
import { ApiClient, expectStatus, startPlatform, type Platform } from './platform';

let platform: Platform;
let seller: ApiClient;

beforeAll(async () => {
  platform = await startPlatform({ ownDatabases: true }); // the platform's own 15-minute window
  seller = ApiClient.as(platform, { sub: `seller-${randomUUID()}`, role: 'seller', store_id: `store-${randomUUID().slice(0, 8)}` });
}, 90_000);
afterAll(async () => {
  await platform?.stop();
});

test('the spec flow without keys: price change refused until read, order from the cart, unknown card paid at 2.00 + 2.5 %', async () => {
  const lamp = await expectStatus(
    201,
    seller.api.inventory.POST('/api/v1/products', {
      body: {
        product_name: `Spec lamp ${randomUUID().slice(0, 6)}`,
        product_description: 'usage guide',
        price: '10.00',
        color: 'white',
        brand: 'Sudamall',
        category: 'test',
        has_sizes: false,
        available_quantity: 5,
      },
    }),
  );
  const b = ApiClient.as(platform, { sub: `buyer-${randomUUID()}`, role: 'buyer' });
  await expectStatus(201, b.api.cart.POST('/api/v1/carts/add', { body: { product_id: lamp.id, quantity: 2 } }));

  // The seller raises the price after the buyer added the lamp: not charged unseen.
  await expectStatus(200, seller.api.inventory.PATCH('/api/v1/products/{id}', { params: { path: { id: lamp.id } }, body: { price: '12.00' } }));
  const refused = await b.api.order.POST('/api/v1/orders/create', { body: { shipping_address: '1 Nile St, Khartoum' } });
  expect(refused.response.status).toBe(409);
  expect(refused.error?.error).toMatchObject({
    code: 'PRICES_CHANGED',
    details: { items: [expect.objectContaining({ old_price: '10.00', new_price: '12.00' })] },
  });

  const cart = await expectStatus(200, b.api.cart.GET('/api/v1/carts'));
  expect(cart.total).toBe('24.00');

  const created = await b.api.order.POST('/api/v1/orders/create', { body: { shipping_address: '1 Nile St, Khartoum' } });
  expect(created.response.status).toBe(201);
  expect(created.data).toMatchObject({ total_amount: '24.00' });
  const orderId = created.data!.order_id;
  expect((await expectStatus(200, b.api.cart.GET('/api/v1/carts/count'))).count).toBe(0);

  // The client retries (no key): the same order, not a second one.
  const retried = await b.api.order.POST('/api/v1/orders/create', { body: { shipping_address: '1 Nile St, Khartoum' } });
  expect([200, 201]).toContain(retried.response.status);
  expect(retried.data?.order_id).toBe(orderId);
  expect((await expectStatus(200, b.api.order.GET('/api/v1/orders'))).total).toBe(1);

  const timer = await expectStatus(200, b.api.order.GET('/api/v1/orders/payment-status/{order_id}', { params: { path: { order_id: orderId } } }));
  expect(timer.seconds_remaining).toBeGreaterThan(14 * 60);

  const payment = await expectStatus(201, b.api.payment.POST('/api/v1/payments/create', { body: { order_id: orderId, gateway: 'test_gateway' } }));
  expect(payment).toMatchObject({ amount: '24.00', gateway_fee: '2.60', total_amount: '26.60' }); // 2.00 + 24.00 × 2.5 %
  const paid = await expectStatus(
    200,
    b.api.payment.POST('/api/v1/payments/process', { body: { payment_id: payment.payment_id, card_number: '5555555555554444' } }),
  );
  expect(paid.outcome).toBe('succeeded');
});
