// Checkout through a real gRPC order peer (idempotent PlaceOrder reserving against the fake
// inventory's stock) and real PostgreSQL.
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
const checkoutFull = (buyer: Buyer, key: string | undefined, body: Record<string, unknown> = { shipping_address: '1 Nile St, Khartoum' }) =>
  h.app.inject({
    method: 'POST',
    url: `${CARTS}/checkout/full/`,
    headers: { ...buyer.auth, ...(key ? { 'idempotency-key': key } : {}) },
    payload: body,
  });
const checkoutSingle = (buyer: Buyer, key: string | undefined, body: Record<string, unknown>) =>
  h.app.inject({
    method: 'POST',
    url: `${CARTS}/checkout/single/`,
    headers: { ...buyer.auth, ...(key ? { 'idempotency-key': key } : {}) },
    payload: { shipping_address: '1 Nile St, Khartoum', ...body },
  });
const cartOf = async (buyer: Buyer) => (await h.app.inject({ method: 'GET', url: `${CARTS}/`, headers: buyer.auth })).json();

describe('POST /carts/checkout/full/', () => {
  it('places the order, answers 201 with its status and deadline, and empties the cart', async () => {
    const buyer = newBuyer();
    const mug = h.inventory.add({ name: 'Mug', price: '8.25', available: 5 });
    const cap = h.inventory.add({ name: 'Cap', price: '12.00', sizes: { M: 3 } });
    await add(buyer, { product_id: mug.id, quantity: 2 });
    await add(buyer, { product_id: cap.id, quantity: 1, size: 'M' });

    const res = await checkoutFull(buyer, randomUUID(), { shipping_address: '1 Nile St, Khartoum', notes: 'ring twice' });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({ status: 'under_paying', total_amount: '28.50' });
    expect(typeof body.order_id).toBe('string');
    expect(new Date(body.payment_expires_at).getTime()).toBeGreaterThan(Date.now());
    expect(body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ product_id: mug.id, product_name: 'Mug', size: null, quantity: 2, price: '8.25', subtotal: '16.50' }),
        expect.objectContaining({ product_id: cap.id, size: 'M', quantity: 1, price: '12.00' }),
      ]),
    );
    const placed = h.orders.orders.get(body.order_id)!;
    expect(placed).toMatchObject({ userId: buyer.id, shippingAddress: '1 Nile St, Khartoum', notes: 'ring twice' });
    expect((await cartOf(buyer)).items).toEqual([]);
  });

  it('returns the same order for a retry with the same key and never places a second', async () => {
    const buyer = newBuyer();
    await add(buyer, { product_id: h.inventory.add({ available: 5 }).id, quantity: 1 });
    const key = randomUUID();
    const first = await checkoutFull(buyer, key);
    const retry = await checkoutFull(buyer, key);
    expect(first.statusCode).toBe(201);
    expect(retry.statusCode).toBe(201);
    expect(retry.json()).toEqual(first.json());
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(h.orders.ordersOf(buyer.id)).toHaveLength(1);
  });

  it('makes one order from concurrent retries of one key', async () => {
    const buyer = newBuyer();
    await add(buyer, { product_id: h.inventory.add({ available: 5 }).id, quantity: 2 });
    const key = randomUUID();
    const results = await Promise.all(Array.from({ length: 5 }, () => checkoutFull(buyer, key)));
    expect(results.map((r) => r.statusCode)).toEqual([201, 201, 201, 201, 201]);
    expect(new Set(results.map((r) => r.json().order_id)).size).toBe(1);
    expect(h.orders.ordersOf(buyer.id)).toHaveLength(1);
    expect((await cartOf(buyer)).items).toEqual([]);
  });

  it('keeps the items while order is still reserving, then a retry settles and removes only the ordered quantity', async () => {
    const buyer = newBuyer();
    const p = h.inventory.add({ available: 10 });
    await add(buyer, { product_id: p.id, quantity: 2 });
    const key = randomUUID();
    h.orders.answerPending = true;
    let pending;
    try {
      pending = await checkoutFull(buyer, key);
    } finally {
      h.orders.answerPending = false;
    }
    expect(pending.statusCode).toBe(201);
    expect(pending.json()).toMatchObject({ status: 'pending', payment_expires_at: null });
    expect((await cartOf(buyer)).items).toEqual([expect.objectContaining({ quantity: 2 })]);

    // The buyer adds one more meanwhile; the order (for 2) is then accepted.
    await add(buyer, { product_id: p.id, quantity: 1 });
    h.orders.accept(pending.json().order_id);
    const settled = await checkoutFull(buyer, key);
    expect(settled.statusCode).toBe(201);
    expect(settled.json()).toMatchObject({ order_id: pending.json().order_id, status: 'under_paying' });
    expect((await cartOf(buyer)).items).toEqual([expect.objectContaining({ product_id: p.id, quantity: 1 })]);
    expect(h.orders.ordersOf(buyer.id)).toHaveLength(1);
  });

  it('refuses a reuse of the key for another request with 422 IDEMPOTENCY_KEY_REUSED', async () => {
    const buyer = newBuyer();
    await add(buyer, { product_id: h.inventory.add({}).id, quantity: 1 });
    const key = randomUUID();
    expect((await checkoutFull(buyer, key, { shipping_address: 'A street' })).statusCode).toBe(201);
    const other = await checkoutFull(buyer, key, { shipping_address: 'Another street' });
    expect(other.statusCode).toBe(422);
    expect(other.json().error.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('answers 409 INSUFFICIENT_STOCK with the short lines when stock cannot be reserved, and keeps the cart', async () => {
    const buyer = newBuyer();
    const p = h.inventory.add({ available: 3 });
    await add(buyer, { product_id: p.id, quantity: 3 });
    h.inventory.update(p.id, { available: 1 }); // sold elsewhere since
    const key = randomUUID();
    const res = await checkoutFull(buyer, key);
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatchObject({
      code: 'INSUFFICIENT_STOCK',
      details: { short_lines: [expect.objectContaining({ product_id: p.id, requested: 3, available: 1, code: 'INSUFFICIENT_STOCK' })] },
    });
    expect((await cartOf(buyer)).items).toHaveLength(1);
    const retry = await checkoutFull(buyer, key);
    expect(retry.statusCode).toBe(409);
    expect(retry.json()).toEqual(res.json());
    expect(h.orders.ordersOf(buyer.id)).toHaveLength(1);
  });

  it('needs a shipping address or an address_id (422 SHIPPING_ADDRESS_OR_ADDRESS_ID)', async () => {
    const buyer = newBuyer();
    await add(buyer, { product_id: h.inventory.add({}).id, quantity: 1 });
    const noAddress = await checkoutFull(buyer, randomUUID(), {});
    expect(noAddress.statusCode).toBe(422);
    expect(noAddress.json().error.code).toBe('SHIPPING_ADDRESS_OR_ADDRESS_ID');
    expect(h.orders.ordersOf(buyer.id)).toHaveLength(0);
  });

  it('refuses an empty cart with 409 CART_EMPTY', async () => {
    const res = await checkoutFull(newBuyer(), randomUUID());
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('CART_EMPTY');
  });

  it('answers 503 when order cannot be reached and keeps the cart', async () => {
    const down = await startHarness({ orderUrl: '127.0.0.1:1' });
    try {
      const buyer = newBuyer();
      const p = down.inventory.add({ available: 5 });
      await down.app.inject({ method: 'POST', url: `${CARTS}/add/`, headers: buyer.auth, payload: { product_id: p.id, quantity: 1 } });
      const key = randomUUID();
      const res = await down.app.inject({
        method: 'POST',
        url: `${CARTS}/checkout/full/`,
        headers: { ...buyer.auth, 'idempotency-key': key },
        payload: { shipping_address: 'x' },
      });
      expect(res.statusCode).toBe(503);
      const cart = (await down.app.inject({ method: 'GET', url: `${CARTS}/`, headers: buyer.auth })).json();
      expect(cart.items).toHaveLength(1);
    } finally {
      await down.close();
    }
  });
});

describe('POST /carts/checkout/single/', () => {
  it('buys one product directly and leaves the cart alone', async () => {
    const buyer = newBuyer();
    const inCart = h.inventory.add({ available: 5 });
    await add(buyer, { product_id: inCart.id, quantity: 1 });
    const shoe = h.inventory.add({ name: 'Shoe', price: '45.00', sizes: { '42': 2 } });
    const res = await checkoutSingle(buyer, randomUUID(), { product_id: shoe.id, quantity: 2, size: '42' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      status: 'under_paying',
      total_amount: '90.00',
      items: [expect.objectContaining({ product_id: shoe.id, size: '42', quantity: 2 })],
    });
    expect((await cartOf(buyer)).items).toEqual([expect.objectContaining({ product_id: inCart.id, quantity: 1 })]);
  });

  it('applies the cart rules to the product before placing anything', async () => {
    const buyer = newBuyer();
    const sized = h.inventory.add({ sizes: { M: 1 } });
    const noSize = await checkoutSingle(buyer, randomUUID(), { product_id: sized.id, quantity: 1 });
    expect(noSize.statusCode).toBe(422);
    expect(noSize.json().error.code).toBe('SIZE_REQUIRED');
    const tooMany = await checkoutSingle(buyer, randomUUID(), { product_id: sized.id, quantity: 2, size: 'M' });
    expect(tooMany.statusCode).toBe(409);
    expect(tooMany.json().error).toMatchObject({
      code: 'INSUFFICIENT_STOCK',
      details: { short_lines: [{ product_id: sized.id, size: 'M', requested: 2, available: 1, code: 'INSUFFICIENT_STOCK' }] },
    });
    const unknown = await checkoutSingle(buyer, randomUUID(), { product_id: 'nope', quantity: 1 });
    expect(unknown.statusCode).toBe(404);
    expect(h.orders.ordersOf(buyer.id)).toHaveLength(0);
  });

  it('is idempotent by key too', async () => {
    const buyer = newBuyer();
    const p = h.inventory.add({ available: 5 });
    const key = randomUUID();
    const first = await checkoutSingle(buyer, key, { product_id: p.id, quantity: 1 });
    const retry = await checkoutSingle(buyer, key, { product_id: p.id, quantity: 1 });
    expect(retry.json().order_id).toBe(first.json().order_id);
    expect(h.orders.ordersOf(buyer.id)).toHaveLength(1);
  });
});
