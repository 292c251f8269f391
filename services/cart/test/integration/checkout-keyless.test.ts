// Idempotency-Key is optional on checkout, as in Stripe's API (issue 14): without one, a retried
// identical checkout of the same cart (same buyer, same cart version) answers the same order
// instead of placing a second one. Real PostgreSQL and a real gRPC order peer.
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
const checkoutFull = (buyer: Buyer, body: Record<string, unknown> = { shipping_address: '1 Nile St, Khartoum' }, key?: string) =>
  h.app.inject({ method: 'POST', url: `${CARTS}/checkout/full/`, headers: { ...buyer.auth, ...(key ? { 'idempotency-key': key } : {}) }, payload: body });
const checkoutSingle = (buyer: Buyer, body: Record<string, unknown>) =>
  h.app.inject({ method: 'POST', url: `${CARTS}/checkout/single/`, headers: buyer.auth, payload: { shipping_address: '1 Nile St, Khartoum', ...body } });
const cartOf = async (buyer: Buyer) => (await h.app.inject({ method: 'GET', url: `${CARTS}/`, headers: buyer.auth })).json();

describe('checkout without an Idempotency-Key', () => {
  it('places the order, and a retry after the cart was emptied answers the same order (replayed), placing no second', async () => {
    const buyer = newBuyer();
    const mug = h.inventory.add({ name: 'Mug', price: '8.25', available: 5 });
    await add(buyer, { product_id: mug.id, quantity: 2 });

    const first = await checkoutFull(buyer);
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ status: 'under_paying', total_amount: '16.50' });
    expect((await cartOf(buyer)).items).toEqual([]);

    const retry = await checkoutFull(buyer);
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json()).toEqual(first.json());
    expect(h.orders.ordersOf(buyer.id)).toHaveLength(1);
  });

  it('makes one order from concurrent identical checkouts', async () => {
    const buyer = newBuyer();
    await add(buyer, { product_id: h.inventory.add({ available: 5 }).id, quantity: 2 });
    const results = await Promise.all(Array.from({ length: 4 }, () => checkoutFull(buyer)));
    expect(results.map((r) => r.statusCode)).toEqual([201, 201, 201, 201]);
    expect(new Set(results.map((r) => r.json().order_id)).size).toBe(1);
    expect(h.orders.ordersOf(buyer.id)).toHaveLength(1);
  });

  it('a changed cart is a new checkout: a new order for what was added since', async () => {
    const buyer = newBuyer();
    const pen = h.inventory.add({ name: 'Pen', price: '2.00', available: 10 });
    await add(buyer, { product_id: pen.id, quantity: 1 });
    const first = (await checkoutFull(buyer)).json();
    await add(buyer, { product_id: pen.id, quantity: 3 });
    const second = await checkoutFull(buyer);
    expect(second.statusCode).toBe(201);
    expect(second.json().order_id).not.toBe(first.order_id);
    expect(second.json().total_amount).toBe('6.00');
    expect(h.orders.ordersOf(buyer.id)).toHaveLength(2);
    // And the retry of the second (cart empty again) answers the second, not the first.
    expect((await checkoutFull(buyer)).json().order_id).toBe(second.json().order_id);
  });

  it('settles a checkout answered while order was still reserving when the identical request is retried', async () => {
    const buyer = newBuyer();
    await add(buyer, { product_id: h.inventory.add({ available: 10 }).id, quantity: 2 });
    h.orders.answerPending = true;
    let pending;
    try {
      pending = await checkoutFull(buyer);
    } finally {
      h.orders.answerPending = false;
    }
    expect(pending.json()).toMatchObject({ status: 'pending' });
    expect((await cartOf(buyer)).items).toHaveLength(1);
    h.orders.accept(pending.json().order_id);
    const settled = await checkoutFull(buyer);
    expect(settled.json()).toMatchObject({ order_id: pending.json().order_id, status: 'under_paying' });
    expect((await cartOf(buyer)).items).toEqual([]);
    expect(h.orders.ordersOf(buyer.id)).toHaveLength(1);
  });

  it('with a key behaves as before: a new key is a new attempt, whatever the cart', async () => {
    const buyer = newBuyer();
    const p = h.inventory.add({ available: 10 });
    await add(buyer, { product_id: p.id, quantity: 1 });
    const keyed = await checkoutFull(buyer, undefined, randomUUID());
    expect(keyed.statusCode).toBe(201);
    expect((await checkoutFull(buyer, undefined, randomUUID())).json().error.code).toBe('CART_EMPTY');
  });

  it('single checkout: the identical request again answers the same order; another quantity is another order', async () => {
    const buyer = newBuyer();
    const p = h.inventory.add({ name: 'Shoe', price: '45.00', available: 5 });
    const first = await checkoutSingle(buyer, { product_id: p.id, quantity: 1 });
    expect(first.statusCode).toBe(201);
    const again = await checkoutSingle(buyer, { product_id: p.id, quantity: 1 });
    expect(again.json().order_id).toBe(first.json().order_id);
    const other = await checkoutSingle(buyer, { product_id: p.id, quantity: 2 });
    expect(other.json().order_id).not.toBe(first.json().order_id);
    expect(h.orders.ordersOf(buyer.id)).toHaveLength(2);
  });
});
