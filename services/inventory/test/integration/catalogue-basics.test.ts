// Issue 14's catalogue basics through app.inject against the real database: images and sale
// prices (current_price, its events), the list's filters, sorts and pages, sold quantities for
// the store only, renaming and removing sizes, and the product's change history.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Pool } from 'pg';
import { TEST_JWT_SECRET, testToken } from '@sudamall/shared/testing';
import { catalogueUseCases } from '../../src/container';
import { buildApp } from '../../src/http/app';
import { presentProduct, presentSnapshot } from '../../src/http/presenters';
import { CatalogueStore } from '../../src/infra/catalogue-store';
import { createPrisma } from '../../src/infra/prisma';
import { TEST_DATABASE_URL } from '../support/env';
import { startEngine, testPool } from '../support/fixtures';

let app: FastifyInstance;
let pool: Pool;
const prisma = createPrisma(TEST_DATABASE_URL);
const useCases = catalogueUseCases(new CatalogueStore(prisma));
// The use cases gRPC serves, their results read as JSON (the presenters' shapes).
const catalogue = {
  getProducts: async (ids: string[]) => ({ products: (await useCases.getProducts.execute(ids)).products.map((p) => presentProduct(p)) }),
  createSnapshots: async (items: Array<{ product_id: string; size?: string }>, reason: string) =>
    (await useCases.createSnapshots.execute(items, reason)).map(presentSnapshot),
  checkAvailability: (lines: Array<{ product_id: string; size?: string; quantity: number }>) => useCases.checkAvailability.execute(lines),
};

const storeA = randomUUID();
const sellerA = { sub: randomUUID(), role: 'seller' as const, store_id: storeA };
const sellerB = { sub: randomUUID(), role: 'seller' as const, store_id: randomUUID() };
const buyer = { sub: randomUUID(), role: 'buyer' as const };
const admin = { sub: randomUUID(), role: 'admin' as const };
const auth = (claims: Parameters<typeof testToken>[0]) => ({ authorization: `Bearer ${testToken(claims, TEST_JWT_SECRET)}` });
const P = '/api/v1/products';

beforeAll(async () => {
  pool = testPool(2);
  app = await buildApp({ useCases, auth: { secret: TEST_JWT_SECRET }, ready: () => true });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await prisma.$disconnect();
  await pool.end();
});

async function create(payload: Record<string, unknown>, claims: Parameters<typeof testToken>[0] = sellerA) {
  const res = await app.inject({
    method: 'POST',
    url: `${P}/`,
    headers: auth(claims),
    payload: { product_name: 'Mug', price: '20.00', ...(payload.has_sizes ? {} : { available_quantity: 5 }), ...payload },
  });
  expect(res.statusCode).toBe(201);
  return res.json();
}
const patch = (id: string, payload: unknown, claims: Parameters<typeof testToken>[0] = sellerA) =>
  app.inject({ method: 'PATCH', url: `${P}/${id}/`, headers: auth(claims), payload: payload as object });
const eventsOf = async (id: string, type: string) =>
  (await pool.query(`SELECT payload FROM outbox WHERE key = $1 AND type = $2 ORDER BY id`, [id, type])).rows.map((r) => r.payload.data);

describe('images and sale prices', () => {
  it('a product carries its images in order and a sale price; current_price is what a buyer pays', async () => {
    const images = ['https://cdn.example.com/mug-1.jpg', 'http://cdn.example.com/mug-2.jpg'];
    const p = await create({ images, sale_price: '15.00' });
    expect(p).toMatchObject({ price: '20.00', sale_price: '15.00', current_price: '15.00', images });
    const plain = await create({});
    expect(plain).toMatchObject({ sale_price: null, current_price: '20.00', images: [] });
    expect((await eventsOf(p.id, 'product.updated'))[0]).toMatchObject({ price: '20.00', sale_price: '15.00', current_price: '15.00' });
  });

  it('refuses a sale price not below the price (422), bad image URLs and too many images (400)', async () => {
    const post = (payload: Record<string, unknown>) =>
      app.inject({ method: 'POST', url: `${P}/`, headers: auth(sellerA), payload: { product_name: 'x', price: '10.00', ...payload } });
    const same = await post({ sale_price: '10.00' });
    expect(same.statusCode).toBe(422);
    expect(same.json().error.code).toBe('SALE_PRICE_NOT_BELOW_PRICE');
    // Zero or a malformed amount never reaches the rule: the schema refuses them.
    for (const sale_price of ['0.00', '1.999', 'abc']) expect((await post({ sale_price })).json().error.code).toBe('VALIDATION_FAILED');
    for (const images of [
      ['ftp://example.com/a.jpg'],
      ['/a.jpg'],
      ['https://example.com/a b'],
      Array.from({ length: 11 }, (_, i) => `https://e.example/${i}`),
    ]) {
      const res = await post({ images });
      expect(res.statusCode).toBe(400);
    }
    expect((await post({ images: ['https://e.example/a', 'https://e.example/a'] })).statusCode).toBe(400);
  });

  it('a sale price change is a price change: product.price_changed with the current prices, a history entry', async () => {
    const p = await create({});
    const on = await patch(p.id, { sale_price: '14.50' });
    expect(on.statusCode).toBe(200);
    expect(on.json()).toMatchObject({ price: '20.00', sale_price: '14.50', current_price: '14.50' });
    // The list price changes under the sale: what a buyer pays does not, so carts hear nothing.
    expect((await patch(p.id, { price: '25.00' })).json()).toMatchObject({ price: '25.00', current_price: '14.50' });
    // Below the sale price: refused, until both change together.
    const below = await patch(p.id, { price: '14.00' });
    expect(below.statusCode).toBe(422);
    expect(below.json().error.code).toBe('SALE_PRICE_NOT_BELOW_PRICE');
    expect((await patch(p.id, { sale_price: '30.00' })).statusCode).toBe(422);
    const off = await patch(p.id, { sale_price: null });
    expect(off.json()).toMatchObject({ price: '25.00', sale_price: null, current_price: '25.00' });
    expect((await patch(p.id, { price: '12.00', sale_price: '9.99' })).json()).toMatchObject({ current_price: '9.99' });
    expect(await eventsOf(p.id, 'product.price_changed')).toEqual([
      { product_id: p.id, old_price: '20.00', new_price: '14.50', price: '20.00', sale_price: '14.50' },
      { product_id: p.id, old_price: '14.50', new_price: '25.00', price: '25.00', sale_price: null },
      { product_id: p.id, old_price: '25.00', new_price: '9.99', price: '12.00', sale_price: '9.99' },
    ]);
    expect((await eventsOf(p.id, 'product.updated')).at(-1)).toMatchObject({ price: '12.00', sale_price: '9.99', current_price: '9.99' });
  });

  it("images are replaced as a whole; another store's seller cannot", async () => {
    const p = await create({ images: ['https://e.example/1.jpg'] });
    const res = await patch(p.id, { images: ['https://e.example/2.jpg', 'https://e.example/1.jpg'] });
    expect(res.json().images).toEqual(['https://e.example/2.jpg', 'https://e.example/1.jpg']);
    expect((await patch(p.id, { images: [] })).json().images).toEqual([]);
    expect((await patch(p.id, { sale_price: '1.00' }, sellerB)).statusCode).toBe(403);
  });

  it('gRPC GetProducts and CreateSnapshots carry current_price (what carts and orders charge)', async () => {
    const p = await create({ sale_price: '11.00' });
    const { products } = await catalogue.getProducts([p.id]);
    expect(products[0]).toMatchObject({ price: '20.00', sale_price: '11.00', current_price: '11.00' });
    const [snap] = await catalogue.createSnapshots([{ product_id: p.id }], `order:${randomUUID()}`);
    expect(snap).toMatchObject({ price: '20.00', sale_price: '11.00', current_price: '11.00' });
    const { lines } = await catalogue.checkAvailability([{ product_id: p.id, quantity: 1 }]);
    expect(lines[0]).toMatchObject({ price: '20.00', current_price: '11.00', available: true });
  });
});

describe('GET /products/: filters, sorts, pages', () => {
  const store = randomUUID();
  const seller = { sub: randomUUID(), role: 'seller' as const, store_id: store };
  const list = async (qs: string) => {
    const res = await app.inject({ method: 'GET', url: `${P}/?store_id=${store}&${qs}` });
    expect(res.statusCode).toBe(200);
    return res.json<{ items: Array<{ product_name: string; current_price: string }>; total: number; page: number; page_size: number }>();
  };
  const names = async (qs: string) => (await list(qs)).items.map((p) => p.product_name);

  beforeAll(async () => {
    await create({ product_name: 'Red kettle', price: '10.00', category: 'Kitchen', brand: 'Acme', available_quantity: 0 }, seller);
    await create({ product_name: 'Blue kettle', price: '40.00', sale_price: '18.00', category: 'Kitchen', brand: 'Acme' }, seller);
    await create({ product_name: 'Green lamp', product_description: 'a kettle-shaped LAMP', price: '30.00', category: 'Lighting', brand: 'Lumo' }, seller);
    await create(
      {
        product_name: 'Shirt',
        price: '25.00',
        has_sizes: true,
        sizes: [
          { size: 'M', available_quantity: 0 },
          { size: 'L', available_quantity: 2 },
        ],
      },
      seller,
    );
  });

  it('q matches name and description, any case (search is its older name)', async () => {
    expect((await names('q=KETTLE')).sort()).toEqual(['Blue kettle', 'Green lamp', 'Red kettle']);
    expect(await names('q=lamp kettle')).toEqual([]);
    expect(await names('q=SHAPED')).toEqual(['Green lamp']);
    expect((await names('search=kettle')).length).toBe(3);
    // LIKE's wildcards are plain characters here.
    expect(await names('q=%25')).toEqual([]);
    expect(await names('q=_')).toEqual([]);
    expect(await names('brand=%25')).toEqual([]);
    expect(await names('category=_itchen')).toEqual([]);
  });

  it('category and brand (any case), min_price/max_price on current_price', async () => {
    expect((await names('category=kitchen')).sort()).toEqual(['Blue kettle', 'Red kettle']);
    expect(await names('brand=LUMO')).toEqual(['Green lamp']);
    // Blue kettle is listed at 40.00 but sells at 18.00.
    expect((await names('min_price=15&max_price=20')).sort()).toEqual(['Blue kettle']);
    expect(await names('min_price=35')).toEqual([]);
    expect((await list('min_price=0')).total).toBe(4);
  });

  it('in_stock: some unit available, in some size', async () => {
    expect((await names('in_stock=true')).sort()).toEqual(['Blue kettle', 'Green lamp', 'Shirt']);
    expect(await names('in_stock=false')).toEqual(['Red kettle']);
  });

  it('sorts by current price either way, by creation, by name; pages with the total', async () => {
    expect(await names('sort=price')).toEqual(['Red kettle', 'Blue kettle', 'Shirt', 'Green lamp']);
    expect(await names('sort=-price')).toEqual(['Green lamp', 'Shirt', 'Blue kettle', 'Red kettle']);
    expect(await names('sort=created_at')).toEqual(['Red kettle', 'Blue kettle', 'Green lamp', 'Shirt']);
    expect(await names('sort=-created_at')).toEqual(['Shirt', 'Green lamp', 'Blue kettle', 'Red kettle']);
    expect(await names('sort=newest')).toEqual(await names(''));
    expect(await names('sort=name')).toEqual(['Blue kettle', 'Green lamp', 'Red kettle', 'Shirt']);
    const page = await list('sort=price&page=2&page_size=3');
    expect(page).toMatchObject({ total: 4, page: 2, page_size: 3 });
    expect(page.items.map((p) => p.product_name)).toEqual(['Green lamp']);
  });

  it('every bad or out-of-range parameter is a 400, never a 500', async () => {
    for (const qs of [
      'page=0',
      'page=100001',
      'page=1e400',
      'page_size=0',
      'page_size=101',
      'page=-1',
      'min_price=-1',
      'max_price=1e9',
      'max_price=99999999999',
      'sort=cheapest',
      'in_stock=maybe',
      `q=${'x'.repeat(201)}`,
    ]) {
      const res = await app.inject({ method: 'GET', url: `${P}/?${qs}` });
      expect([qs, res.statusCode]).toEqual([qs, 400]);
    }
  });
});

describe("sold quantities: the store's sellers and admins only", () => {
  it('hidden from anonymous readers, buyers and other stores; shown to the owner and admins', async () => {
    const p = await create({ has_sizes: true, sizes: [{ size: 'S', available_quantity: 3 }] });
    for (const url of [`${P}/${p.id}/`, `${P}/${p.id}/stock/`]) {
      for (const headers of [{}, auth(buyer), auth(sellerB)]) {
        const body = (await app.inject({ method: 'GET', url, headers })).json();
        expect(body).not.toHaveProperty('sold_quantity');
        expect(body.sizes[0]).not.toHaveProperty('sold_quantity');
        expect(body.sizes[0]).toMatchObject({ size: 'S', available_quantity: 3 });
      }
      for (const headers of [auth(sellerA), auth(admin)]) {
        const body = (await app.inject({ method: 'GET', url, headers })).json();
        expect(body).toMatchObject({ sold_quantity: 0, sizes: [{ size: 'S', sold_quantity: 0 }] });
      }
    }
    const listed = (await app.inject({ method: 'GET', url: `${P}/?store_id=${storeA}&page_size=100`, headers: auth(buyer) })).json();
    expect(listed.items.every((i: object) => !('sold_quantity' in i))).toBe(true);
    const mine = (await app.inject({ method: 'GET', url: `${P}/?store_id=${storeA}&page_size=100`, headers: auth(sellerA) })).json();
    expect(mine.items.every((i: object) => 'sold_quantity' in i)).toBe(true);
  });

  it('a bad token on a public read is 401, not an anonymous answer', async () => {
    const res = await app.inject({ method: 'GET', url: `${P}/`, headers: { authorization: 'Bearer not-a-token' } });
    expect(res.statusCode).toBe(401);
  });
});

describe('sizes: rename and remove', () => {
  const sized = () =>
    create({
      product_name: 'Tee',
      has_sizes: true,
      sizes: [
        { size: 'S', available_quantity: 5 },
        { size: 'M', available_quantity: 8 },
      ],
    });
  const sizeId = (p: { sizes: Array<{ size: string; size_id: string }> }, name: string) => p.sizes.find((s) => s.size === name)!.size_id;
  const rename = (id: string, sid: string, size: string, claims: Parameters<typeof testToken>[0] = sellerA) =>
    app.inject({ method: 'PATCH', url: `${P}/${id}/sizes/${sid}/`, headers: auth(claims), payload: { size } });
  const remove = (id: string, sid: string, claims: Parameters<typeof testToken>[0] = sellerA) =>
    app.inject({ method: 'DELETE', url: `${P}/${id}/sizes/${sid}/`, headers: auth(claims) });
  const reserve = (sid: string, n: number) => pool.query('UPDATE stock SET available = available - $2, reserved = reserved + $2 WHERE id = $1', [sid, n]);
  const conserved = async (productId: string) => {
    const { rows } = await pool.query(
      `SELECT s.id, s.available + s.reserved + s.sold AS total, coalesce((SELECT sum(delta) FROM stock_adjustments a WHERE a.stock_id = s.id), 0)::int AS adjusted
         FROM stock s WHERE s.product_id = $1`,
      [productId],
    );
    for (const r of rows) expect(r.total).toBe(r.adjusted);
  };

  it('rename: the size keeps its stock under the new name; names stay unique (409 SIZE_EXISTS)', async () => {
    const p = await sized();
    const res = await rename(p.id, sizeId(p, 'S'), 'Small');
    expect(res.statusCode).toBe(200);
    expect(res.json().sizes.map((s: { size: string; available_quantity: number }) => [s.size, s.available_quantity])).toEqual([
      ['M', 8],
      ['Small', 5],
    ]);
    const dup = await rename(p.id, sizeId(p, 'S'), 'M');
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error.code).toBe('SIZE_EXISTS');
    expect((await eventsOf(p.id, 'product.updated')).at(-1)).toMatchObject({ sizes: ['M', 'Small'] });
    // Carts move their lines over: the rename is announced before the product's new size list.
    const { rows } = await pool.query(`SELECT type, payload FROM outbox WHERE key = $1 AND type IN ('product.size_renamed', 'product.updated') ORDER BY id`, [
      p.id,
    ]);
    expect(rows.slice(-2).map((r) => r.type)).toEqual(['product.size_renamed', 'product.updated']);
    expect(rows.at(-2).payload.data).toEqual({ product_id: p.id, size_id: sizeId(p, 'S'), old_size: 'S', new_size: 'Small' });
  });

  it('both refused with 409 SIZE_HAS_RESERVATIONS while units are reserved; allowed again once released', async () => {
    const p = await sized();
    const m = sizeId(p, 'M');
    await reserve(m, 2);
    for (const res of [await rename(p.id, m, 'Medium'), await remove(p.id, m)]) {
      expect(res.statusCode).toBe(409);
      expect(res.json().error).toMatchObject({ code: 'SIZE_HAS_RESERVATIONS', details: { reserved_quantity: 2, size: 'M' } });
    }
    await reserve(m, -2);
    expect((await rename(p.id, m, 'Medium')).statusCode).toBe(200);
  });

  it('remove: gone from every view, its available units logged out (stock conserved), carts told; PUT stock brings it back', async () => {
    const p = await sized();
    const s = sizeId(p, 'S');
    const before = (await eventsOf(p.id, 'stock.changed')).length;
    const res = await remove(p.id, s);
    expect(res.statusCode).toBe(204);
    const detail = (await app.inject({ method: 'GET', url: `${P}/${p.id}/`, headers: auth(sellerA) })).json();
    expect(detail).toMatchObject({ available_quantity: 8, sizes: [{ size: 'M' }] });
    expect(detail.sizes).toHaveLength(1);
    const log = await pool.query(`SELECT delta FROM stock_adjustments WHERE stock_id = $1 AND reason = 'size_removed'`, [s]);
    expect(log.rows).toEqual([{ delta: -5 }]);
    await conserved(p.id);
    expect((await eventsOf(p.id, 'product.updated')).at(-1)).toMatchObject({ sizes: ['M'] });
    const changed = await eventsOf(p.id, 'stock.changed');
    expect(changed.length).toBe(before + 1);
    expect(changed.at(-1).sizes.map((z: { size: string }) => z.size)).toEqual(['M']);
    // Not offered any more: availability and a second removal say so.
    const { lines } = await catalogue.checkAvailability([{ product_id: p.id, size: 'S', quantity: 1 }]);
    expect(lines[0]).toMatchObject({ available: false, code: 'SIZE_NOT_FOUND' });
    expect((await remove(p.id, s)).statusCode).toBe(404);
    // Its name stays taken (409 on a rename onto it) until PUT stock brings it back.
    expect((await rename(p.id, sizeId(p, 'M'), 'S')).json().error).toMatchObject({ code: 'SIZE_EXISTS', details: { removed: true } });
    const back = await app.inject({ method: 'PUT', url: `${P}/${p.id}/stock/`, headers: auth(sellerA), payload: { size: 'S', available_quantity: 2 } });
    expect(back.json().sizes.map((z: { size: string; available_quantity: number }) => [z.size, z.available_quantity])).toEqual([
      ['M', 8],
      ['S', 2],
    ]);
    await conserved(p.id);
  });

  it('a process whose product cache still maps a removed size never reserves it (SIZE_NOT_FOUND), even once a restock refilled its row', async () => {
    const engine = await startEngine(pool);
    try {
      const p = await sized();
      const s = sizeId(p, 'S');
      const line = { line_id: '1', product_id: p.id, size: 'S', quantity: 1 };
      // Warms the engine's cache (size S → its row), then gives the unit back.
      const first = randomUUID();
      expect((await engine.engine.reserve({ order_id: first, lines: [line] })).status).toBe('reserved');
      expect((await engine.reservations.release.execute(first, 'test')).status).toBe('released');
      expect((await remove(p.id, s)).statusCode).toBe(204);
      // Units back on the removed row, as a restock of a sold line would put them (ledger kept).
      await pool.query('UPDATE stock SET available = 3 WHERE id = $1', [s]);
      await pool.query(`INSERT INTO stock_adjustments (stock_id, product_id, delta, available_after, reason, actor_id) VALUES ($1, $2, 3, 3, 'test', 'test')`, [
        s,
        p.id,
      ]);
      const outcome = await engine.engine.reserve({ order_id: randomUUID(), lines: [line] });
      expect(outcome).toMatchObject({ status: 'rejected', short_lines: [{ code: 'SIZE_NOT_FOUND' }] });
      expect((await pool.query('SELECT reserved FROM stock WHERE id = $1', [s])).rows[0].reserved).toBe(0);
    } finally {
      await engine.close();
    }
  });

  it("only the store's sellers or admins; unknown sizes and products without sizes are 404", async () => {
    const p = await sized();
    const s = sizeId(p, 'S');
    expect((await rename(p.id, s, 'X', sellerB)).statusCode).toBe(403);
    expect((await remove(p.id, s, buyer)).statusCode).toBe(403);
    expect((await app.inject({ method: 'DELETE', url: `${P}/${p.id}/sizes/${s}/` })).statusCode).toBe(401);
    expect((await rename(p.id, randomUUID(), 'X')).json().error.code).toBe('SIZE_NOT_FOUND');
    expect((await rename(p.id, 'not-a-uuid', 'X')).statusCode).toBe(404);
    expect((await rename(randomUUID(), s, 'X')).json().error.code).toBe('PRODUCT_NOT_FOUND');
    expect((await rename(p.id, s, '   ')).statusCode).toBe(400);
    const plain = await create({});
    const row = (await pool.query('SELECT id FROM stock WHERE product_id = $1', [plain.id])).rows[0].id;
    expect((await remove(plain.id, row)).json().error.code).toBe('SIZE_NOT_FOUND');
    expect((await remove(p.id, s, admin)).statusCode).toBe(204);
  });
});

describe('GET /products/{id}/history/', () => {
  it('the change history, newest first, with snapshot_taken_at and product_price; order snapshots are not in it', async () => {
    const p = await create({ product_name: 'Test Laptop', price: '1299.99', product_description: 'for coding' });
    await patch(p.id, { price: '1399.99' });
    await patch(p.id, { sale_price: '1199.99' });
    await catalogue.createSnapshots([{ product_id: p.id }], `order:${randomUUID()}`);
    await patch(p.id, { product_description: 'for coding and gaming' });
    expect((await app.inject({ method: 'GET', url: `${P}/${p.id}/history/` })).statusCode).toBe(401);
    const res = await app.inject({ method: 'GET', url: `${P}/${p.id}/history/`, headers: auth(buyer) });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.total).toBe(4);
    expect(body.items.map((h: Record<string, unknown>) => [h.reason, h.product_price, h.sale_price, h.current_price, h.product_description])).toEqual([
      ['updated', '1399.99', '1199.99', '1199.99', 'for coding and gaming'],
      ['price_changed', '1399.99', '1199.99', '1199.99', 'for coding'],
      ['price_changed', '1399.99', null, '1399.99', 'for coding'],
      ['created', '1299.99', null, '1299.99', 'for coding'],
    ]);
    for (const h of body.items) expect(h.snapshot_taken_at).toBe(h.created_at);
    const taken = body.items.map((h: { snapshot_taken_at: string }) => h.snapshot_taken_at);
    expect([...taken].sort().reverse()).toEqual(taken);
    const page = (await app.inject({ method: 'GET', url: `${P}/${p.id}/history/?page=2&page_size=3`, headers: auth(buyer) })).json();
    expect(page).toMatchObject({ total: 4, page: 2, page_size: 3 });
    expect(page.items.map((h: { reason: string }) => h.reason)).toEqual(['created']);
    expect((await app.inject({ method: 'GET', url: `${P}/${p.id}/history/?page_size=101`, headers: auth(buyer) })).statusCode).toBe(400);
  });
});
