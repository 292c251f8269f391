// CheckoutCart over real gRPC: order's "create order from cart" (POST /api/v1/orders/create/
// without items) is exactly a full checkout — the same order, the same idempotency, the cart
// emptied — and cart's errors travel with their codes. Real PostgreSQL, a real gRPC order peer.
import { credentials } from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { cart } from '@sudamall/proto';
import { callUnary, createLogger, startGrpcServer, type GrpcServerHandle } from '@sudamall/shared';
import { cartServiceImplementation } from '../../src/grpc/cart-service';
import { startHarness, newBuyer, type Harness } from '../support/harness';

let h: Harness;
let server: GrpcServerHandle;
let client: cart.CartServiceClient;

beforeAll(async () => {
  h = await startHarness();
  server = await startGrpcServer({
    host: '127.0.0.1',
    port: 0,
    services: [{ definition: cart.CartServiceService, implementation: cartServiceImplementation(h.container.useCases) }],
    logger: createLogger({ name: 'cart-grpc-checkout-test', level: 'silent' }),
  });
  client = new cart.CartServiceClient(`127.0.0.1:${server.port}`, credentials.createInsecure());
});
afterAll(async () => {
  client.close();
  await server.close();
  await h.close();
});

const checkoutCart = (req: Partial<cart.CheckoutCartRequest> & { userId: string }) =>
  callUnary(client.checkoutCart.bind(client), { idempotencyKey: '', shippingAddress: '', addressId: '', notes: '', ...req });
const cartOf = async (buyer: ReturnType<typeof newBuyer>) => (await h.app.inject({ method: 'GET', url: '/api/v1/carts/', headers: buyer.auth })).json();

it('checks the cart out: places the order, empties the cart; the identical call again answers the same order', async () => {
  const buyer = newBuyer();
  const mug = h.inventory.add({ name: 'Mug', price: '8.25', available: 5 });
  await h.app.inject({ method: 'POST', url: '/api/v1/carts/add/', headers: buyer.auth, payload: { product_id: mug.id, quantity: 2 } });

  const res = await checkoutCart({ userId: buyer.id, shippingAddress: '1 Nile St, Khartoum', notes: 'ring twice' });
  expect(res).toMatchObject({ status: 'under_paying', replayed: false });
  expect(h.orders.orders.get(res.orderId)).toMatchObject({
    userId: buyer.id,
    shippingAddress: '1 Nile St, Khartoum',
    notes: 'ring twice',
    totalAmount: '16.50',
  });
  expect((await cartOf(buyer)).items).toEqual([]);

  const again = await checkoutCart({ userId: buyer.id, shippingAddress: '1 Nile St, Khartoum', notes: 'ring twice' });
  expect(again).toMatchObject({ orderId: res.orderId, replayed: true });
  // The same checkout through REST (no key, same cart version) is that order too.
  const rest = await h.app.inject({
    method: 'POST',
    url: '/api/v1/carts/checkout/full/',
    headers: buyer.auth,
    payload: { shipping_address: '1 Nile St, Khartoum', notes: 'ring twice' },
  });
  expect(rest.json().order_id).toBe(res.orderId);
  expect(h.orders.ordersOf(buyer.id)).toHaveLength(1);
});

it('uses the Idempotency-Key it is given, and answers cart errors with their codes', async () => {
  const buyer = newBuyer();
  await expect(checkoutCart({ userId: buyer.id, shippingAddress: 'x', idempotencyKey: randomUUID() })).rejects.toMatchObject({
    code: 'CART_EMPTY',
    kind: 'conflict',
  });
  const lamp = h.inventory.add({ name: 'Lamp', price: '10.00', available: 5 });
  await h.app.inject({ method: 'POST', url: '/api/v1/carts/add/', headers: buyer.auth, payload: { product_id: lamp.id, quantity: 1 } });
  h.inventory.update(lamp.id, { price: '11.00' });
  await expect(checkoutCart({ userId: buyer.id, shippingAddress: 'x' })).rejects.toMatchObject({
    code: 'PRICES_CHANGED',
    details: { items: [expect.objectContaining({ old_price: '10.00', new_price: '11.00' })] },
  });
  await cartOf(buyer); // the buyer reads the cart
  const key = randomUUID();
  const placed = await checkoutCart({ userId: buyer.id, shippingAddress: 'x', idempotencyKey: key });
  const retry = await checkoutCart({ userId: buyer.id, shippingAddress: 'x', idempotencyKey: key });
  expect(retry).toMatchObject({ orderId: placed.orderId, replayed: true });
  await expect(checkoutCart({ userId: '', shippingAddress: 'x' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
});
