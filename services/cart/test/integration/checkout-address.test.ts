// Checkout with a saved address (address_id) instead of a typed shipping_address: cart sends it
// to order's PlaceOrder over real gRPC (the fake order peer records the request; order's own
// tests cover resolving it), refuses neither/both with 422 before anything is recorded, and a key
// reused with another address is a different request.
import { randomUUID } from 'node:crypto';
import { startHarness, newBuyer, type Harness } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const CARTS = '/api/v1/carts';
type Buyer = ReturnType<typeof newBuyer>;

const add = (buyer: Buyer, body: Record<string, unknown>) => h.app.inject({ method: 'POST', url: `${CARTS}/add/`, headers: buyer.auth, payload: body });
const checkout = (buyer: Buyer, kind: 'full' | 'single', key: string, body: Record<string, unknown>) =>
  h.app.inject({ method: 'POST', url: `${CARTS}/checkout/${kind}/`, headers: { ...buyer.auth, 'idempotency-key': key }, payload: body });
const requestsOf = (userId: string) => h.orders.requests.filter((r) => r.userId === userId);

it('full checkout with address_id sends it to order over gRPC (no text address) and empties the cart', async () => {
  const buyer = newBuyer();
  await add(buyer, { product_id: h.inventory.add({ price: '3.00', available: 5 }).id, quantity: 2 });
  const addressId = randomUUID();
  const res = await checkout(buyer, 'full', randomUUID(), { address_id: addressId });
  expect(res.statusCode).toBe(201);
  expect(requestsOf(buyer.id)).toEqual([expect.objectContaining({ addressId, shippingAddress: '' })]);
  expect((await h.app.inject({ method: 'GET', url: `${CARTS}/`, headers: buyer.auth })).json().items).toEqual([]);
});

it('single checkout with address_id; a typed address still goes as text without address_id', async () => {
  const buyer = newBuyer();
  const p = h.inventory.add({ price: '3.00', available: 5 });
  const addressId = randomUUID();
  expect((await checkout(buyer, 'single', randomUUID(), { product_id: p.id, quantity: 1, address_id: addressId })).statusCode).toBe(201);
  expect((await checkout(buyer, 'single', randomUUID(), { product_id: p.id, quantity: 1, shipping_address: '1 Nile St' })).statusCode).toBe(201);
  const [a, b] = requestsOf(buyer.id);
  expect(a).toMatchObject({ addressId, shippingAddress: '' });
  expect(b).toMatchObject({ shippingAddress: '1 Nile St' });
  expect(b.addressId).toBeUndefined();
});

it('neither or both: 422 SHIPPING_ADDRESS_OR_ADDRESS_ID, order never called, cart kept', async () => {
  const buyer = newBuyer();
  const p = h.inventory.add({ price: '3.00', available: 5 });
  await add(buyer, { product_id: p.id, quantity: 1 });
  for (const [kind, body] of [
    ['full', {}],
    ['full', { shipping_address: '1 Nile St', address_id: randomUUID() }],
    ['single', { product_id: p.id, quantity: 1 }],
    ['single', { product_id: p.id, quantity: 1, shipping_address: '1 Nile St', address_id: randomUUID() }],
  ] as const) {
    const res = await checkout(buyer, kind, randomUUID(), body);
    expect({ kind, body, status: res.statusCode, code: res.json().error?.code }).toEqual({ kind, body, status: 422, code: 'SHIPPING_ADDRESS_OR_ADDRESS_ID' });
  }
  expect(requestsOf(buyer.id)).toEqual([]);
  expect((await h.app.inject({ method: 'GET', url: `${CARTS}/`, headers: buyer.auth })).json().items).toHaveLength(1);
});

it('the same key with another address_id is 422 IDEMPOTENCY_KEY_REUSED; with the same one it replays', async () => {
  const buyer = newBuyer();
  const p = h.inventory.add({ price: '3.00', available: 5 });
  const key = randomUUID();
  const addressId = randomUUID();
  const first = await checkout(buyer, 'single', key, { product_id: p.id, quantity: 1, address_id: addressId });
  expect(first.statusCode).toBe(201);
  const again = await checkout(buyer, 'single', key, { product_id: p.id, quantity: 1, address_id: addressId });
  expect(again.json()).toEqual(first.json());
  const other = await checkout(buyer, 'single', key, { product_id: p.id, quantity: 1, address_id: randomUUID() });
  expect(other.statusCode).toBe(422);
  expect(other.json().error.code).toBe('IDEMPOTENCY_KEY_REUSED');
});
