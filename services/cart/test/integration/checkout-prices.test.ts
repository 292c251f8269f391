// A buyer is never charged a price they were not shown (issue 14): checkout answers 409
// PRICES_CHANGED while a cart price moved since the buyer last read or validated the cart, and
// the same checkout goes through once they have. Real PostgreSQL, a real gRPC order peer pricing
// from the fake inventory, whose price is changed behind the cart's back.
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
const checkoutFull = (buyer: Buyer, key: string) =>
  h.app.inject({
    method: 'POST',
    url: `${CARTS}/checkout/full/`,
    headers: { ...buyer.auth, 'idempotency-key': key },
    payload: { shipping_address: '1 Nile St, Khartoum' },
  });
const ordersOf = (buyer: Buyer) => [...h.orders.orders.values()].filter((o) => o.userId === buyer.id);

describe('checkout charges only prices the buyer was shown', () => {
  it('answers 409 PRICES_CHANGED with the old and new prices, places nothing, and goes through after GET /carts/', async () => {
    const buyer = newBuyer();
    const lamp = h.inventory.add({ name: 'Lamp', price: '10.00', available: 5 });
    const mug = h.inventory.add({ name: 'Mug', price: '4.00', available: 5 });
    expect((await add(buyer, { product_id: lamp.id, quantity: 2 })).statusCode).toBe(201);
    expect((await add(buyer, { product_id: mug.id, quantity: 1 })).statusCode).toBe(201);
    h.inventory.update(lamp.id, { price: '12.50' }); // after the add, before the checkout: not shown

    const key = randomUUID();
    const refused = await checkoutFull(buyer, key);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error).toMatchObject({
      code: 'PRICES_CHANGED',
      details: { items: [{ product_id: lamp.id, product_name: 'Lamp', size: null, old_price: '10.00', new_price: '12.50' }] },
    });
    expect(ordersOf(buyer)).toEqual([]);
    // A second try without reading the cart is refused the same way.
    expect((await checkoutFull(buyer, key)).json().error.code).toBe('PRICES_CHANGED');

    const cart = (await h.app.inject({ method: 'GET', url: `${CARTS}/`, headers: buyer.auth })).json();
    expect(cart.total).toBe('29.00');
    expect(cart.changes).toEqual([expect.objectContaining({ kind: 'price_changed', product_id: lamp.id, old_value: '10.00', new_value: '12.50' })]);

    const placed = await checkoutFull(buyer, key);
    expect(placed.statusCode).toBe(201);
    expect(placed.json()).toMatchObject({ status: 'under_paying', total_amount: '29.00' });
    expect(ordersOf(buyer)).toHaveLength(1);
  });

  it('treats a sale price like a price: a sale that starts or ends after the add is PRICES_CHANGED, then charged as shown', async () => {
    const buyer = newBuyer();
    const shoe = h.inventory.add({ name: 'Shoe', price: '50.00', salePrice: '40.00', available: 5 });
    const added = await add(buyer, { product_id: shoe.id, quantity: 1 });
    expect(added.statusCode).toBe(201);
    // The buyer is shown (and charged) the sale price.
    let cart = (await h.app.inject({ method: 'GET', url: `${CARTS}/`, headers: buyer.auth })).json();
    expect(cart.total).toBe('40.00');
    h.inventory.update(shoe.id, { salePrice: null }); // the sale ends before the checkout
    expect((await checkoutFull(buyer, randomUUID())).json().error).toMatchObject({
      code: 'PRICES_CHANGED',
      details: { items: [{ product_id: shoe.id, old_price: '40.00', new_price: '50.00' }] },
    });
    cart = (await h.app.inject({ method: 'GET', url: `${CARTS}/`, headers: buyer.auth })).json();
    expect(cart.total).toBe('50.00');
    h.inventory.update(shoe.id, { salePrice: '35.00' }); // a new sale: a lower price is a change too
    expect((await checkoutFull(buyer, randomUUID())).json().error).toMatchObject({
      code: 'PRICES_CHANGED',
      details: { items: [{ old_price: '50.00', new_price: '35.00' }] },
    });
    await h.app.inject({ method: 'GET', url: `${CARTS}/`, headers: buyer.auth });
    const placed = await checkoutFull(buyer, randomUUID());
    expect(placed.statusCode).toBe(201);
    expect(placed.json().total_amount).toBe('35.00');
  });

  it('counts POST /carts/validate/ as reading the cart', async () => {
    const buyer = newBuyer();
    const kettle = h.inventory.add({ name: 'Kettle', price: '30.00', available: 3 });
    await add(buyer, { product_id: kettle.id, quantity: 1 });
    h.inventory.update(kettle.id, { price: '33.00' });
    expect((await checkoutFull(buyer, randomUUID())).json().error).toMatchObject({
      code: 'PRICES_CHANGED',
      details: { items: [{ old_price: '30.00', new_price: '33.00' }] },
    });
    const validated = (await h.app.inject({ method: 'POST', url: `${CARTS}/validate/`, headers: buyer.auth })).json();
    expect(validated.items_updated).toEqual([expect.objectContaining({ product_id: kettle.id, old_price: '30.00', new_price: '33.00' })]);
    const placed = await checkoutFull(buyer, randomUUID());
    expect(placed.statusCode).toBe(201);
    expect(placed.json().total_amount).toBe('33.00');
  });

  it('lets a price that moved and came back (the buyer saw it) through', async () => {
    const buyer = newBuyer();
    const pen = h.inventory.add({ name: 'Pen', price: '2.00', available: 9 });
    await add(buyer, { product_id: pen.id, quantity: 3 });
    h.inventory.update(pen.id, { price: '2.40' });
    expect((await checkoutFull(buyer, randomUUID())).statusCode).toBe(409);
    h.inventory.update(pen.id, { price: '2.00' });
    const placed = await checkoutFull(buyer, randomUUID());
    expect(placed.statusCode).toBe(201);
    expect(placed.json().total_amount).toBe('6.00');
  });
});
