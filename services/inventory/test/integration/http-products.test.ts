// REST through app.inject against the real database: every endpoint's happy path and its
// errors (400 validation, 401, 403, 404), the OpenAPI document, and the outbox events.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Pool } from 'pg';
import { TEST_JWT_SECRET, testToken } from '@sudamall/shared/testing';
import { catalogueUseCases } from '../../src/container';
import { buildApp } from '../../src/http/app';
import { CatalogueStore } from '../../src/infra/catalogue-store';
import { createPrisma } from '../../src/infra/prisma';
import { TEST_DATABASE_URL } from '../support/env';
import { testPool } from '../support/fixtures';

let app: FastifyInstance;
let pool: Pool;
const prisma = createPrisma(TEST_DATABASE_URL);

const storeA = randomUUID();
const storeB = randomUUID();
const sellerA = { sub: randomUUID(), role: 'seller' as const, store_id: storeA };
const sellerB = { sub: randomUUID(), role: 'seller' as const, store_id: storeB };
const buyer = { sub: randomUUID(), role: 'buyer' as const };
const admin = { sub: randomUUID(), role: 'admin' as const };
const auth = (claims: Parameters<typeof testToken>[0]) => ({ authorization: `Bearer ${testToken(claims, TEST_JWT_SECRET)}` });

beforeAll(async () => {
  pool = testPool(2);
  app = await buildApp({ useCases: catalogueUseCases(new CatalogueStore(prisma)), auth: { secret: TEST_JWT_SECRET }, ready: () => true });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await prisma.$disconnect();
  await pool.end();
});

const P = '/api/v1/products';

async function createPlain(claims = sellerA, extra: Record<string, unknown> = {}) {
  const res = await app.inject({
    method: 'POST',
    url: `${P}/`,
    headers: auth(claims),
    payload: {
      product_name: 'Test Laptop',
      product_description: 'High-performance laptop for coding',
      price: '1299.99',
      color: 'Silver',
      brand: 'TechBrand',
      category: 'Electronics',
      has_sizes: false,
      available_quantity: 10,
      ...extra,
    },
  });
  expect(res.statusCode).toBe(201);
  return res.json();
}

async function createSized(claims = sellerA) {
  const res = await app.inject({
    method: 'POST',
    url: `${P}/`,
    headers: auth(claims),
    payload: {
      product_name: 'Premium T-Shirt',
      price: 29.99,
      color: 'Blue',
      brand: 'FashionCo',
      category: 'Clothing',
      has_sizes: true,
      sizes: [
        { size: 'S', available_quantity: 5 },
        { size: 'M', available_quantity: 8 },
        { size: 'L', available_quantity: 3 },
      ],
    },
  });
  expect(res.statusCode).toBe(201);
  return res.json();
}

describe('POST /api/v1/products/', () => {
  it('a seller creates a product without sizes: 201 with its id, price as a string', async () => {
    const p = await createPlain();
    expect(p).toMatchObject({
      id: expect.any(String),
      product_name: 'Test Laptop',
      price: '1299.99',
      store_id: storeA,
      owner_id: sellerA.sub,
      has_sizes: false,
      available_quantity: 10,
      reserved_quantity: 0,
      sold_quantity: 0,
      sizes: [],
      deleted: false,
    });
  });

  it('a seller creates a product with sizes (price given as a number)', async () => {
    const p = await createSized();
    expect(p).toMatchObject({ price: '29.99', has_sizes: true, available_quantity: 16 });
    expect(p.sizes.map((s: { size: string }) => s.size)).toEqual(['L', 'M', 'S']);
    const events = await pool.query(`SELECT type FROM outbox WHERE key = $1 ORDER BY type`, [p.id]);
    expect(events.rows.map((r) => r.type)).toEqual(['product.updated', 'stock.changed']);
  });

  it('also answers without the trailing slash', async () => {
    const res = await app.inject({
      method: 'POST',
      url: P,
      headers: auth(sellerA),
      payload: { product_name: 'x', price: '1.00', available_quantity: 1 },
    });
    expect(res.statusCode).toBe(201);
  });

  it('400 VALIDATION_FAILED for a missing name, a bad price, a negative quantity', async () => {
    for (const payload of [
      { price: '1.00' },
      { product_name: 'x', price: 'abc' },
      { product_name: 'x', price: true },
      { product_name: 'x', price: '1.00', available_quantity: -1 },
    ]) {
      const res = await app.inject({ method: 'POST', url: `${P}/`, headers: auth(sellerA), payload });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('VALIDATION_FAILED');
    }
  });

  it('400 for a zero price (the documented pattern and bounds), 422 for sizes without has_sizes or has_sizes without sizes', async () => {
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ product_name: 'x', price: '0.00' }, 400, 'VALIDATION_FAILED'],
      [{ product_name: 'x', price: 0.001 }, 400, 'VALIDATION_FAILED'],
      [{ product_name: 'x', price: '1.999' }, 400, 'VALIDATION_FAILED'],
      // Rules across fields of a well-formed body: 422.
      [{ product_name: 'x', price: '1.00', has_sizes: false, sizes: [{ size: 'S', available_quantity: 1 }] }, 422, 'SIZES_NOT_ALLOWED'],
      [{ product_name: 'x', price: '1.00', has_sizes: true }, 422, 'SIZES_REQUIRED'],
      [{ product_name: 'x', price: '1.00', has_sizes: true, available_quantity: 3, sizes: [{ size: 'S', available_quantity: 1 }] }, 422, 'SIZES_REQUIRED'],
    ];
    for (const [payload, status, code] of cases) {
      const res = await app.inject({ method: 'POST', url: `${P}/`, headers: auth(sellerA), payload });
      expect({ status: res.statusCode, code: res.json().error.code }).toEqual({ status, code });
    }
  });

  it('401 without a token or with a bad one, 403 for a buyer', async () => {
    const payload = { product_name: 'x', price: '1.00' };
    expect((await app.inject({ method: 'POST', url: `${P}/`, payload })).statusCode).toBe(401);
    const bad = await app.inject({
      method: 'POST',
      url: `${P}/`,
      payload,
      headers: { authorization: `Bearer ${testToken(sellerA, 'another-secret-0123456789')}` },
    });
    expect(bad.statusCode).toBe(401);
    expect(bad.json().error.code).toBe('UNAUTHENTICATED');
    const res = await app.inject({ method: 'POST', url: `${P}/`, payload, headers: auth(buyer) });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('FORBIDDEN');
  });
});

describe('reads', () => {
  it('GET detail and stock (public), 404 for unknown, malformed or deleted ids', async () => {
    const p = await createSized();
    // Read as the store's seller: sold quantities are theirs to see (catalogue-basics.test.ts).
    const detail = await app.inject({ method: 'GET', url: `${P}/${p.id}/`, headers: auth(sellerA) });
    expect(detail.statusCode).toBe(200);
    expect(detail.json()).toEqual(p);
    const stock = await app.inject({ method: 'GET', url: `${P}/${p.id}/stock`, headers: auth(sellerA) });
    expect(stock.json()).toEqual({
      product_id: p.id,
      has_sizes: true,
      available_quantity: 16,
      reserved_quantity: 0,
      sold_quantity: 0,
      sizes: [
        { size_id: expect.any(String), size: 'L', available_quantity: 3, reserved_quantity: 0, sold_quantity: 0 },
        { size_id: expect.any(String), size: 'M', available_quantity: 8, reserved_quantity: 0, sold_quantity: 0 },
        { size_id: expect.any(String), size: 'S', available_quantity: 5, reserved_quantity: 0, sold_quantity: 0 },
      ],
    });
    for (const id of [randomUUID(), 'not-a-uuid']) {
      const res = await app.inject({ method: 'GET', url: `${P}/${id}/` });
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('PRODUCT_NOT_FOUND');
      expect((await app.inject({ method: 'GET', url: `${P}/${id}/stock/` })).statusCode).toBe(404);
    }
  });

  it('GET list with filters and pagination', async () => {
    const store = randomUUID();
    const seller = { sub: randomUUID(), role: 'seller' as const, store_id: store };
    await createPlain(seller, { product_name: 'Red kettle', price: '10.00', category: 'Kitchen', brand: 'Acme', available_quantity: 0 });
    await createPlain(seller, { product_name: 'Blue kettle', price: '20.00', category: 'Kitchen', brand: 'Acme' });
    await createPlain(seller, { product_name: 'Green lamp', price: '30.00', category: 'Lighting', brand: 'Lumo' });
    const list = async (qs: string) => {
      const res = await app.inject({ method: 'GET', url: `${P}/?store_id=${store}&${qs}` });
      expect(res.statusCode).toBe(200);
      return res.json();
    };
    expect((await list('')).total).toBe(3);
    expect((await list('category=kitchen')).items.map((p: { product_name: string }) => p.product_name).sort()).toEqual(['Blue kettle', 'Red kettle']);
    expect((await list('brand=Lumo')).total).toBe(1);
    expect((await list('search=KETTLE')).total).toBe(2);
    expect((await list('min_price=15&max_price=25')).items[0].product_name).toBe('Blue kettle');
    expect((await list('in_stock=true')).total).toBe(2);
    expect((await list('in_stock=false')).total).toBe(1);
    const page2 = await list('page=2&page_size=2');
    expect(page2).toMatchObject({ total: 3, page: 2, page_size: 2 });
    expect(page2.items).toHaveLength(1);
  });

  it('400 for a bad query', async () => {
    for (const qs of ['page=0', 'page_size=1000', 'min_price=abc', 'in_stock=maybe']) {
      const res = await app.inject({ method: 'GET', url: `${P}/?${qs}` });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('VALIDATION_FAILED');
    }
  });

  it('history needs a token and lists snapshots, newest first', async () => {
    const p = await createPlain();
    expect((await app.inject({ method: 'GET', url: `${P}/${p.id}/history/` })).statusCode).toBe(401);
    await app.inject({ method: 'PATCH', url: `${P}/${p.id}/`, headers: auth(sellerA), payload: { price: '1399.99' } });
    const res = await app.inject({ method: 'GET', url: `${P}/${p.id}/history/`, headers: auth(buyer) });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.total).toBe(2);
    expect(body.items.map((h: { price: string; reason: string }) => [h.price, h.reason])).toEqual([
      ['1399.99', 'price_changed'],
      ['1299.99', 'created'],
    ]);
    expect((await app.inject({ method: 'GET', url: `${P}/${randomUUID()}/history/`, headers: auth(buyer) })).statusCode).toBe(404);
  });
});

describe('changes by the owning seller only', () => {
  it('PATCH changes details and price: product.price_changed + product.updated, history snapshot', async () => {
    const p = await createPlain();
    const res = await app.inject({
      method: 'PATCH',
      url: `${P}/${p.id}`,
      headers: auth(sellerA),
      payload: { price: 1399.99, product_description: 'now with gaming' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ price: '1399.99', product_description: 'now with gaming' });
    const ev = await pool.query(`SELECT type, payload FROM outbox WHERE key = $1 AND type = 'product.price_changed'`, [p.id]);
    expect(ev.rows[0].payload.data).toEqual({ product_id: p.id, old_price: '1299.99', new_price: '1399.99', price: '1399.99', sale_price: null });
  });

  it('PATCH: 403 for another store, 403 for a buyer, 400 for an empty or unknown field, 404 unknown', async () => {
    const p = await createPlain();
    const patch = (headers: Record<string, string>, payload: unknown, id = p.id) =>
      app.inject({ method: 'PATCH', url: `${P}/${id}/`, headers, payload: payload as object });
    expect((await patch(auth(sellerB), { price: '1.00' })).statusCode).toBe(403);
    expect((await patch(auth(buyer), { price: '1.00' })).statusCode).toBe(403);
    expect((await patch(auth(sellerA), {})).statusCode).toBe(400);
    expect((await patch(auth(sellerA), { price: '-1' })).statusCode).toBe(400);
    expect((await patch(auth(sellerA), { price: '1.00' }, randomUUID())).statusCode).toBe(404);
    expect((await patch({}, { price: '1.00' })).statusCode).toBe(401);
    expect((await patch(auth(admin), { product_name: 'by admin' })).statusCode).toBe(200);
  });

  it('PUT stock sets a quantity (and logs the adjustment); sized products need a size', async () => {
    const p = await createSized();
    const put = (payload: unknown, claims = sellerA) =>
      app.inject({ method: 'PUT', url: `${P}/${p.id}/stock/`, headers: auth(claims), payload: payload as object });
    const ok = await put({ size: 'M', available_quantity: 20 });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().sizes.find((s: { size: string }) => s.size === 'M').available_quantity).toBe(20);
    const added = await put({ size: 'XL', available_quantity: 2 });
    expect(added.json().sizes.map((s: { size: string }) => s.size)).toEqual(['L', 'M', 'S', 'XL']);
    expect((await put({ available_quantity: 1 })).json().error.code).toBe('SIZE_REQUIRED');
    expect((await put({ size: 'M', available_quantity: -1 })).statusCode).toBe(400);
    expect((await put({ size: 'M', available_quantity: 1 }, sellerB)).statusCode).toBe(403);
    const log = await pool.query(`SELECT delta, reason FROM stock_adjustments WHERE product_id = $1 AND reason = 'set' ORDER BY id`, [p.id]);
    expect(log.rows).toEqual([
      { delta: 12, reason: 'set' },
      { delta: 2, reason: 'set' },
    ]);
  });

  it('PUT stock on a product without sizes; a size there is SIZE_NOT_ALLOWED', async () => {
    const p = await createPlain();
    const res = await app.inject({ method: 'PUT', url: `${P}/${p.id}/stock`, headers: auth(sellerA), payload: { available_quantity: 4 } });
    expect(res.json()).toMatchObject({ product_id: p.id, has_sizes: false, available_quantity: 4, sizes: [] });
    const bad = await app.inject({ method: 'PUT', url: `${P}/${p.id}/stock/`, headers: auth(sellerA), payload: { size: 'M', available_quantity: 4 } });
    expect(bad.json().error.code).toBe('SIZE_NOT_ALLOWED');
  });

  it('POST stock/adjust adds or removes; below zero is 409 INSUFFICIENT_STOCK; zero delta is 400', async () => {
    const p = await createPlain();
    const adjust = (payload: unknown, claims = sellerA) =>
      app.inject({ method: 'POST', url: `${P}/${p.id}/stock/adjust/`, headers: auth(claims), payload: payload as object });
    expect((await adjust({ delta: 5, reason: 'delivery' })).json().available_quantity).toBe(15);
    expect((await adjust({ delta: -3, reason: 'damaged' })).json().available_quantity).toBe(12);
    const under = await adjust({ delta: -13, reason: 'lost' });
    expect(under.statusCode).toBe(409);
    expect(under.json().error.code).toBe('INSUFFICIENT_STOCK');
    expect((await adjust({ delta: 0, reason: 'noop' })).statusCode).toBe(400);
    expect((await adjust({ delta: 1 })).statusCode).toBe(400);
    expect((await adjust({ delta: 1, reason: 'x' }, sellerB)).statusCode).toBe(403);
    const totals = await pool.query(
      `SELECT (SELECT sum(delta) FROM stock_adjustments WHERE product_id = $1)::int AS adjusted,
              (SELECT available + reserved + sold FROM stock WHERE product_id = $1) AS total`,
      [p.id],
    );
    expect(totals.rows[0]).toEqual({ adjusted: 12, total: 12 });
  });

  it('DELETE soft-deletes (204, product.deleted); then 404; other sellers 403', async () => {
    const p = await createPlain();
    expect((await app.inject({ method: 'DELETE', url: `${P}/${p.id}/`, headers: auth(sellerB) })).statusCode).toBe(403);
    expect((await app.inject({ method: 'DELETE', url: `${P}/${p.id}/` })).statusCode).toBe(401);
    const res = await app.inject({ method: 'DELETE', url: `${P}/${p.id}/`, headers: auth(sellerA) });
    expect(res.statusCode).toBe(204);
    expect((await app.inject({ method: 'GET', url: `${P}/${p.id}/` })).statusCode).toBe(404);
    expect((await app.inject({ method: 'DELETE', url: `${P}/${p.id}`, headers: auth(sellerA) })).statusCode).toBe(404);
    const ev = await pool.query(`SELECT count(*)::int AS n FROM outbox WHERE key = $1 AND type = 'product.deleted'`, [p.id]);
    expect(ev.rows[0].n).toBe(1);
    const still = await pool.query('SELECT deleted_at IS NOT NULL AS deleted FROM products WHERE id = $1', [p.id]);
    expect(still.rows[0].deleted).toBe(true);
  });
});

describe('documents', () => {
  it('serves the OpenAPI document with every route', async () => {
    const res = await app.inject({ method: 'GET', url: `${P}/openapi.json` });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/products',
        '/api/v1/products/{id}',
        '/api/v1/products/{id}/stock',
        '/api/v1/products/{id}/history',
        '/api/v1/products/{id}/stock/adjust',
      ]),
    );
  });

  it('unknown routes are 404 NOT_FOUND', async () => {
    const res = await app.inject({ method: 'GET', url: `${P}/x/y/z` });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('NOT_FOUND');
  });
});
