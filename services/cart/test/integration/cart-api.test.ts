// The REST API end to end: real PostgreSQL, a real gRPC inventory peer, fastify inject.
import { testToken } from '@sudamall/shared/testing';
import { startHarness, newBuyer, type Harness } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const CARTS = '/api/v1/carts';

async function add(buyer: ReturnType<typeof newBuyer>, body: Record<string, unknown>) {
  return h.app.inject({ method: 'POST', url: `${CARTS}/add/`, headers: buyer.auth, payload: body });
}

describe('GET /carts/', () => {
  it('answers an empty cart to a buyer who has none', async () => {
    const buyer = newBuyer();
    const res = await h.app.inject({ method: 'GET', url: `${CARTS}/`, headers: buyer.auth });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ items: [], total: '0.00', item_count: 0, changes: [] });
  });

  it('accepts the path with and without the trailing slash', async () => {
    const buyer = newBuyer();
    const res = await h.app.inject({ method: 'GET', url: CARTS, headers: buyer.auth });
    expect(res.statusCode).toBe(200);
    const count = await h.app.inject({ method: 'GET', url: `${CARTS}/count`, headers: buyer.auth });
    expect(count.json()).toEqual({ count: 0 });
  });

  it('needs a valid bearer token', async () => {
    expect((await h.app.inject({ method: 'GET', url: `${CARTS}/` })).statusCode).toBe(401);
    const bad = await h.app.inject({ method: 'GET', url: `${CARTS}/`, headers: { authorization: 'Bearer not-a-jwt' } });
    expect(bad.statusCode).toBe(401);
    expect(bad.json().error.code).toBe('UNAUTHENTICATED');
  });

  it('is for buyers: another role is refused with 403 FORBIDDEN', async () => {
    const seller = `Bearer ${testToken({ sub: 'seller-1', role: 'seller', store_id: 'store-1' })}`;
    const res = await h.app.inject({ method: 'GET', url: `${CARTS}/`, headers: { authorization: seller } });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('FORBIDDEN');
  });

  it('lists items with prices, subtotals, total and item count', async () => {
    const buyer = newBuyer();
    const laptop = h.inventory.add({ name: 'Laptop', price: '999.99', available: 5 });
    const shirt = h.inventory.add({ name: 'T-shirt', price: '19.90', sizes: { M: 5, L: 2 } });
    expect((await add(buyer, { product_id: laptop.id, quantity: 1 })).statusCode).toBe(201);
    expect((await add(buyer, { product_id: shirt.id, quantity: 2, size: 'M' })).statusCode).toBe(201);

    const res = await h.app.inject({ method: 'GET', url: `${CARTS}/`, headers: buyer.auth });
    expect(res.statusCode).toBe(200);
    const cart = res.json();
    expect(cart.items).toEqual([
      expect.objectContaining({
        product_id: laptop.id,
        product_name: 'Laptop',
        size: null,
        quantity: 1,
        price_when_added: '999.99',
        current_price: '999.99',
        subtotal: '999.99',
      }),
      expect.objectContaining({
        product_id: shirt.id,
        product_name: 'T-shirt',
        size: 'M',
        quantity: 2,
        price_when_added: '19.90',
        current_price: '19.90',
        subtotal: '39.80',
      }),
    ]);
    expect(cart.total).toBe('1039.79');
    expect(cart.item_count).toBe(3);
    const count = await h.app.inject({ method: 'GET', url: `${CARTS}/count/`, headers: buyer.auth });
    expect(count.json()).toEqual({ count: 3 });
  });
});

describe('POST /carts/add/', () => {
  it('raises the quantity of a line already in the cart (200) and refuses a total above the stock', async () => {
    const buyer = newBuyer();
    const p = h.inventory.add({ available: 5 });
    const first = await add(buyer, { product_id: p.id, quantity: 2 });
    const again = await add(buyer, { product_id: p.id, quantity: 3 });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ id: first.json().id, quantity: 5 });

    const over = await add(buyer, { product_id: p.id, quantity: 1 });
    expect(over.statusCode).toBe(409);
    expect(over.json().error).toMatchObject({
      code: 'INSUFFICIENT_STOCK',
      details: { product_id: p.id, size: null, requested: 1, available: 5, in_cart: 5 },
    });
  });

  it('keeps one line per size of a product', async () => {
    const buyer = newBuyer();
    const p = h.inventory.add({ sizes: { S: 3, M: 3 } });
    await add(buyer, { product_id: p.id, quantity: 1, size: 'S' });
    await add(buyer, { product_id: p.id, quantity: 2, size: 'M' });
    const cart = (await h.app.inject({ method: 'GET', url: `${CARTS}/`, headers: buyer.auth })).json();
    expect(cart.items.map((i: { size: string; quantity: number }) => [i.size, i.quantity])).toEqual([
      ['S', 1],
      ['M', 2],
    ]);
  });

  it.each([
    ['an unknown product', () => ({ product_id: 'no-such-product', quantity: 1 }), 404, 'PRODUCT_NOT_FOUND'],
    ['a deleted product', () => ({ product_id: h.inventory.add({ deleted: true }).id, quantity: 1 }), 409, 'PRODUCT_UNAVAILABLE'],
    ['a sized product without a size', () => ({ product_id: h.inventory.add({ sizes: { M: 1 } }).id, quantity: 1 }), 422, 'SIZE_REQUIRED'],
    ['a size the product lacks', () => ({ product_id: h.inventory.add({ sizes: { M: 1 } }).id, quantity: 1, size: 'XL' }), 422, 'SIZE_NOT_FOUND'],
    ['a size for a product without sizes', () => ({ product_id: h.inventory.add({}).id, quantity: 1, size: 'M' }), 422, 'SIZE_NOT_ALLOWED'],
    ['more than is available', () => ({ product_id: h.inventory.add({ available: 2 }).id, quantity: 3 }), 409, 'INSUFFICIENT_STOCK'],
    ['a quantity of 0', () => ({ product_id: h.inventory.add({}).id, quantity: 0 }), 400, 'VALIDATION_FAILED'],
    ['a fractional quantity', () => ({ product_id: h.inventory.add({}).id, quantity: 1.5 }), 400, 'VALIDATION_FAILED'],
    ['a missing product_id', () => ({ quantity: 1 }), 400, 'VALIDATION_FAILED'],
  ])('refuses %s', async (_what, body, status, code) => {
    const buyer = newBuyer();
    const res = await add(buyer, body());
    expect(res.statusCode).toBe(status);
    expect(res.json().error.code).toBe(code);
    const count = await h.app.inject({ method: 'GET', url: `${CARTS}/count/`, headers: buyer.auth });
    expect(count.json()).toEqual({ count: 0 });
  });

  it('asks inventory once per request', async () => {
    const buyer = newBuyer();
    const p = h.inventory.add({});
    const before = h.inventory.getProductsCalls;
    await add(buyer, { product_id: p.id, quantity: 1 });
    expect(h.inventory.getProductsCalls - before).toBe(1);
  });

  it('ends concurrent adds of one product by one buyer with the right quantity', async () => {
    const buyer = newBuyer();
    const p = h.inventory.add({ available: 1000 });
    const results = await Promise.all(Array.from({ length: 20 }, () => add(buyer, { product_id: p.id, quantity: 3 })));
    expect(results.map((r) => r.statusCode).sort()).toEqual([...Array(19).fill(200), 201].sort());
    const cart = (await h.app.inject({ method: 'GET', url: `${CARTS}/`, headers: buyer.auth })).json();
    expect(cart.items).toHaveLength(1);
    expect(cart.items[0].quantity).toBe(60);
  });

  it('never lets concurrent adds pass the stock together', async () => {
    const buyer = newBuyer();
    const p = h.inventory.add({ available: 10 });
    const results = await Promise.all(Array.from({ length: 8 }, () => add(buyer, { product_id: p.id, quantity: 3 })));
    expect(results.filter((r) => r.statusCode < 300)).toHaveLength(3);
    expect(results.filter((r) => r.statusCode === 409)).toHaveLength(5);
    const count = await h.app.inject({ method: 'GET', url: `${CARTS}/count/`, headers: buyer.auth });
    expect(count.json()).toEqual({ count: 9 });
  });

  it('answers 503 when inventory cannot be reached', async () => {
    const down = await startHarness({ inventoryUrl: '127.0.0.1:1' });
    try {
      const res = await down.app.inject({ method: 'POST', url: `${CARTS}/add/`, headers: newBuyer().auth, payload: { product_id: 'p', quantity: 1 } });
      expect(res.statusCode).toBe(503);
      expect(res.json().error.code).toBe('UPSTREAM_UNAVAILABLE');
    } finally {
      await down.close();
    }
  });
});

describe('PUT /carts/update/{id}/ and DELETE /carts/remove/{id}/, /carts/clear/', () => {
  it('sets a quantity within the stock, and refuses more', async () => {
    const buyer = newBuyer();
    const p = h.inventory.add({ sizes: { M: 4 } });
    const item = (await add(buyer, { product_id: p.id, quantity: 1, size: 'M' })).json();
    const ok = await h.app.inject({ method: 'PUT', url: `${CARTS}/update/${item.id}/`, headers: buyer.auth, payload: { quantity: 4 } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ id: item.id, quantity: 4, subtotal: '40.00' });
    const over = await h.app.inject({ method: 'PUT', url: `${CARTS}/update/${item.id}/`, headers: buyer.auth, payload: { quantity: 5 } });
    expect(over.statusCode).toBe(409);
    expect(over.json().error).toMatchObject({ code: 'INSUFFICIENT_STOCK', details: { available: 4 } });
    const bad = await h.app.inject({ method: 'PUT', url: `${CARTS}/update/${item.id}/`, headers: buyer.auth, payload: { quantity: -1 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('VALIDATION_FAILED');
  });

  it('removes the item when the quantity is set to 0', async () => {
    const buyer = newBuyer();
    const item = (await add(buyer, { product_id: h.inventory.add({}).id, quantity: 2 })).json();
    const res = await h.app.inject({ method: 'PUT', url: `${CARTS}/update/${item.id}/`, headers: buyer.auth, payload: { quantity: 0 } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ removed: true, id: item.id });
    expect((await h.app.inject({ method: 'GET', url: `${CARTS}/count/`, headers: buyer.auth })).json()).toEqual({ count: 0 });
  });

  it('removes one item, then answers 404 for it', async () => {
    const buyer = newBuyer();
    const keep = (await add(buyer, { product_id: h.inventory.add({}).id, quantity: 1 })).json();
    const gone = (await add(buyer, { product_id: h.inventory.add({}).id, quantity: 1 })).json();
    const res = await h.app.inject({ method: 'DELETE', url: `${CARTS}/remove/${gone.id}/`, headers: buyer.auth });
    expect(res.statusCode).toBe(200);
    const again = await h.app.inject({ method: 'DELETE', url: `${CARTS}/remove/${gone.id}/`, headers: buyer.auth });
    expect(again.statusCode).toBe(404);
    expect(again.json().error.code).toBe('CART_ITEM_NOT_FOUND');
    const cart = (await h.app.inject({ method: 'GET', url: `${CARTS}/`, headers: buyer.auth })).json();
    expect(cart.items.map((i: { id: string }) => i.id)).toEqual([keep.id]);
  });

  it('answers 404 for an item id that is not a UUID', async () => {
    const res = await h.app.inject({ method: 'PUT', url: `${CARTS}/update/42/`, headers: newBuyer().auth, payload: { quantity: 1 } });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('CART_ITEM_NOT_FOUND');
  });

  it('empties the cart', async () => {
    const buyer = newBuyer();
    await add(buyer, { product_id: h.inventory.add({}).id, quantity: 1 });
    await add(buyer, { product_id: h.inventory.add({}).id, quantity: 2 });
    const res = await h.app.inject({ method: 'DELETE', url: `${CARTS}/clear/`, headers: buyer.auth });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ cleared: true, removed_items: 2 });
    expect((await h.app.inject({ method: 'GET', url: `${CARTS}/`, headers: buyer.auth })).json().items).toEqual([]);
  });
});

describe('one buyer and another', () => {
  it('cannot see, change or remove the other one’s items', async () => {
    const alice = newBuyer();
    const mallory = newBuyer();
    const item = (await add(alice, { product_id: h.inventory.add({}).id, quantity: 2 })).json();

    expect((await h.app.inject({ method: 'GET', url: `${CARTS}/`, headers: mallory.auth })).json().items).toEqual([]);
    const update = await h.app.inject({ method: 'PUT', url: `${CARTS}/update/${item.id}/`, headers: mallory.auth, payload: { quantity: 1 } });
    expect(update.statusCode).toBe(404);
    const remove = await h.app.inject({ method: 'DELETE', url: `${CARTS}/remove/${item.id}/`, headers: mallory.auth });
    expect(remove.statusCode).toBe(404);
    await h.app.inject({ method: 'DELETE', url: `${CARTS}/clear/`, headers: mallory.auth });

    const cart = (await h.app.inject({ method: 'GET', url: `${CARTS}/`, headers: alice.auth })).json();
    expect(cart.items).toEqual([expect.objectContaining({ id: item.id, quantity: 2 })]);
  });
});

describe('POST /carts/validate/', () => {
  it('says valid when every item still holds', async () => {
    const buyer = newBuyer();
    await add(buyer, { product_id: h.inventory.add({ available: 3 }).id, quantity: 2 });
    const res = await h.app.inject({ method: 'POST', url: `${CARTS}/validate/`, headers: buyer.auth });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ valid: true, items_updated: [], items_removed: [], quantities_reduced: [], problems: [] });
  });

  it('applies price changes, stock cuts and removals found live, and reports each with its reason', async () => {
    const buyer = newBuyer();
    const pricey = h.inventory.add({ name: 'Mug', price: '8.00', available: 9 });
    const scarce = h.inventory.add({ name: 'Shoe', sizes: { '42': 5 } });
    const doomed = h.inventory.add({ name: 'Lamp' });
    const sized = h.inventory.add({ name: 'Cap', sizes: { S: 2, M: 2 } });
    await add(buyer, { product_id: pricey.id, quantity: 1 });
    await add(buyer, { product_id: scarce.id, quantity: 4, size: '42' });
    await add(buyer, { product_id: doomed.id, quantity: 1 });
    await add(buyer, { product_id: sized.id, quantity: 1, size: 'M' });
    h.inventory.update(pricey.id, { price: '9.50' });
    h.inventory.update(scarce.id, { sizes: { '42': 1 } });
    h.inventory.update(doomed.id, { deleted: true });
    h.inventory.update(sized.id, { sizes: { S: 2 } });

    const before = h.inventory.getProductsCalls;
    const res = await h.app.inject({ method: 'POST', url: `${CARTS}/validate/`, headers: buyer.auth });
    expect(h.inventory.getProductsCalls - before).toBe(1);
    expect(res.statusCode).toBe(200);
    const v = res.json();
    expect(v.valid).toBe(false);
    expect(v.items_updated).toEqual([expect.objectContaining({ product_id: pricey.id, old_price: '8.00', new_price: '9.50' })]);
    expect(v.quantities_reduced).toEqual([expect.objectContaining({ product_id: scarce.id, size: '42', old_quantity: 4, new_quantity: 1 })]);
    expect(v.items_removed).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ product_id: doomed.id, reason: 'product_deleted' }),
        expect.objectContaining({ product_id: sized.id, size: 'M', reason: 'size_removed' }),
      ]),
    );
    expect(v.problems.map((p: { code: string }) => p.code).sort()).toEqual(
      ['INSUFFICIENT_STOCK', 'PRICE_CHANGED', 'PRODUCT_UNAVAILABLE', 'SIZE_NOT_FOUND'].sort(),
    );
    expect(v.cart.items.map((i: { product_id: string; quantity: number; current_price: string }) => [i.product_id, i.quantity, i.current_price])).toEqual([
      [pricey.id, 1, '9.50'],
      [scarce.id, 1, '10.00'],
    ]);

    // The fixes are applied: a second validation finds nothing more.
    const again = (await h.app.inject({ method: 'POST', url: `${CARTS}/validate/`, headers: buyer.auth })).json();
    expect(again).toMatchObject({ valid: true, problems: [] });
  });

  it('reports an empty cart as a problem', async () => {
    const res = await h.app.inject({ method: 'POST', url: `${CARTS}/validate/`, headers: newBuyer().auth });
    expect(res.json()).toMatchObject({ valid: false, problems: [expect.objectContaining({ code: 'CART_EMPTY' })] });
  });
});

describe('GET /api/v1/carts/openapi.json', () => {
  it('documents every cart route', async () => {
    const res = await h.app.inject({ method: 'GET', url: `${CARTS}/openapi.json` });
    expect(res.statusCode).toBe(200);
    const paths = Object.keys(res.json().paths);
    // Documented without the trailing slash (OpenAPI tools read `/a/` and `/a` as two paths); both spellings are served.
    expect(paths).toContain(CARTS);
    for (const p of ['/count', '/add', '/update/{cart_item_id}', '/remove/{cart_item_id}', '/clear', '/validate', '/checkout/full', '/checkout/single']) {
      expect(paths).toContain(`${CARTS}${p}`);
    }
  });
});
