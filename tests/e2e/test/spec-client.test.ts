// A client written from the usage guide (/work/shared/spec/usage-guide.md) works against the
// four real services (issue 14): it sends no Idempotency-Key, creates its order from the cart
// with POST /orders/create/ and no items, is never charged a price it was not shown, pays on
// the test gateway with a card the gateway does not list, at the spec's 2.00 + 2.5 %, inside the
// spec's 15-minute window.
import { randomUUID } from 'node:crypto';
import { ApiClient, startPlatform, type Platform } from './platform';

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
  const lamp = await seller.expect(201, 'inventory', 'POST', '/api/v1/products/', {
    product_name: `Spec lamp ${randomUUID().slice(0, 6)}`,
    product_description: 'usage guide',
    price: '10.00',
    color: 'white',
    brand: 'Sudamall',
    category: 'test',
    has_sizes: false,
    available_quantity: 5,
  });
  const b = ApiClient.as(platform, { sub: `buyer-${randomUUID()}`, role: 'buyer' });
  await b.expect(201, 'cart', 'POST', '/api/v1/carts/add/', { product_id: lamp.id, quantity: 2 });

  // The seller raises the price after the buyer added the lamp: not charged unseen.
  await seller.expect(200, 'inventory', 'PATCH', `/api/v1/products/${lamp.id}/`, { price: '12.00' });
  const refused = await b.request('order', 'POST', '/api/v1/orders/create/', { shipping_address: '1 Nile St, Khartoum' });
  expect(refused.status).toBe(409);
  expect(refused.body.error).toMatchObject({ code: 'PRICES_CHANGED', details: { items: [expect.objectContaining({ old_price: '10.00', new_price: '12.00' })] } });

  const cart = await b.expect(200, 'cart', 'GET', '/api/v1/carts/');
  expect(cart.total).toBe('24.00');

  const created = await b.request('order', 'POST', '/api/v1/orders/create/', { shipping_address: '1 Nile St, Khartoum' });
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({ total_amount: '24.00' });
  const orderId = created.body.order_id as string;
  expect((await b.expect(200, 'cart', 'GET', '/api/v1/carts/count/')).count).toBe(0);

  // The client retries (no key): the same order, not a second one.
  const retried = await b.request('order', 'POST', '/api/v1/orders/create/', { shipping_address: '1 Nile St, Khartoum' });
  expect([200, 201]).toContain(retried.status);
  expect(retried.body.order_id).toBe(orderId);
  expect((await b.expect(200, 'order', 'GET', '/api/v1/orders/')).total).toBe(1);

  const timer = await b.expect(200, 'order', 'GET', `/api/v1/orders/payment-status/${orderId}/`);
  expect(timer.seconds_remaining).toBeGreaterThan(14 * 60);

  const payment = await b.expect(201, 'payment', 'POST', '/api/v1/payments/create/', { order_id: orderId, gateway: 'test_gateway' });
  expect(payment).toMatchObject({ amount: '24.00', gateway_fee: '2.60', total_amount: '26.60' }); // 2.00 + 24.00 × 2.5 %
  const paid = await b.expect(200, 'payment', 'POST', '/api/v1/payments/process/', { payment_id: payment.payment_id, card_number: '5555555555554444' });
  expect(paid.outcome).toBe('succeeded');
});
