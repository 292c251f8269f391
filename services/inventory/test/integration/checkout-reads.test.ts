// The catalogue's two reads on every checkout's path (GetProducts, CreateSnapshots) are one raw
// statement each through the runner (infra/catalogue-store.ts): they answer what Prisma's models
// answer (a product as find() reads it; an order snapshot whose JSON copy is productDocument),
// on the service's node-postgres runner and on the runner over Prisma alike.
import { randomUUID } from 'node:crypto';
import { sqlOverPrisma, type Sql, type SqlRunner } from '@sudamall/shared';
import type { Pool } from 'pg';
import { productDocument } from '../../src/app/catalogue-events';
import { CatalogueStore } from '../../src/infra/catalogue-store';
import { createPrisma } from '../../src/infra/prisma';
import { createReservationSql } from '../../src/infra/reservation-store';
import type { ProductRecord } from '../../src/domain/product';
import { TEST_DATABASE_URL } from '../support/env';
import { seedProduct, testPool } from '../support/fixtures';

const prisma = createPrisma(TEST_DATABASE_URL);
let pool: Pool;
let sql: Sql;

beforeAll(() => {
  pool = testPool(4);
  sql = createReservationSql(TEST_DATABASE_URL, 2);
});
afterAll(async () => {
  await sql.close();
  await pool.end();
  await prisma.$disconnect();
});

const runners: Array<[string, () => SqlRunner]> = [
  ['node-postgres', () => sql],
  ['over Prisma', () => sqlOverPrisma(prisma)],
];

/** A sized product on sale, with images, mixed-case sizes and a removed size. */
async function richProduct(): Promise<string> {
  const p = await seedProduct(pool, { M: 4, m: 1, XL: 2, '10': 3 }, { price: '20.00' });
  await pool.query(`UPDATE products SET sale_price = 12.50, images = $2, brand = 'b', color = 'red' WHERE id = $1`, [
    p.productId,
    ['https://img.example/a.png', 'https://img.example/b.png'],
  ]);
  await pool.query(`UPDATE stock SET available = 0, sold = 2, removed_at = now() WHERE id = $1`, [p.stockIds['10']]);
  await pool.query(`UPDATE stock SET reserved = 3, sold = 1 WHERE id = $1`, [p.stockIds.M]);
  return p.productId;
}

const byStockId = (p: ProductRecord) => ({ ...p, stock: [...p.stock].sort((a, b) => a.id.localeCompare(b.id)) });

describe.each(runners)('on the %s runner', (_name, runner) => {
  it('findMany answers what find() reads through Prisma, deleted products included', async () => {
    const store = new CatalogueStore(prisma, runner());
    const a = await richProduct();
    const b = (await seedProduct(pool, 7)).productId;
    await pool.query('UPDATE products SET deleted_at = now() WHERE id = $1', [b]);
    const found = await store.findMany([b, a, randomUUID(), 'not-a-uuid']);
    expect(found.map((p) => p.id).sort()).toEqual([a, b].sort());
    for (const p of found) expect(byStockId(p)).toEqual(byStockId((await store.find(p.id))!));
  });

  it('order snapshots: one per item in order, productDocument as their JSON, nothing written when a product is missing', async () => {
    const store = new CatalogueStore(prisma, runner());
    const a = await richProduct();
    const b = (await seedProduct(pool, 3, { price: '5.10' })).productId;
    const reason = `order:${randomUUID()}`;
    const { missing, snapshots } = await store.recordOrderSnapshots(
      [
        { productId: a, size: 'XL' },
        { productId: b, size: '' },
        { productId: a, size: 'm' },
      ],
      reason,
    );
    expect(missing).toEqual([]);
    expect(snapshots.map((s) => [s.productId, s.size, s.price.toFixed(2), s.salePrice?.toFixed(2) ?? null, s.currentPrice?.toFixed(2), s.reason])).toEqual([
      [a, 'XL', '20.00', '12.50', '12.50', reason],
      [b, '', '5.10', null, '5.10', reason],
      [a, 'm', '20.00', '12.50', '12.50', reason],
    ]);
    // What order decides the lines from: the product as it stood, its live sizes in GetProducts' order.
    const liveSizes = [...(await store.find(a))!.stock].map((r) => r.size).sort((x, y) => x.localeCompare(y));
    expect(liveSizes).toEqual(['m', 'M', 'XL']);
    expect(snapshots.map((s) => s.productState)).toEqual([
      { deleted: false, hasSizes: true, sizes: liveSizes },
      { deleted: false, hasSizes: false, sizes: [] },
      { deleted: false, hasSizes: true, sizes: liveSizes },
    ]);
    // Read back, a snapshot is what was frozen (the state is only answered when it is taken).
    for (const { productState: _state, ...frozen } of snapshots) expect(await store.findSnapshot(frozen.id)).toEqual(frozen);
    const { rows } = await pool.query<{ id: string; product_id: string; kind: string; snapshot: unknown }>(
      'SELECT id, product_id, kind, snapshot FROM product_history WHERE reason = $1',
      [reason],
    );
    expect(rows).toHaveLength(3);
    for (const r of rows) {
      expect(r.kind).toBe('order');
      expect(r.snapshot).toEqual(JSON.parse(JSON.stringify(productDocument((await store.find(r.product_id))!))));
    }

    // A deleted product and a size it does not offer are frozen too: the caller decides.
    await pool.query('UPDATE products SET deleted_at = now() WHERE id = $1', [b]);
    const late = await store.recordOrderSnapshots(
      [
        { productId: b, size: '' },
        { productId: a, size: 'XXL' },
      ],
      `order:${randomUUID()}`,
    );
    expect(late.snapshots.map((s) => [s.size, s.productState])).toEqual([
      ['', { deleted: true, hasSizes: false, sizes: [] }],
      ['XXL', { deleted: false, hasSizes: true, sizes: liveSizes }],
    ]);

    const unknown = randomUUID();
    const none = `order:${randomUUID()}`;
    const refused = await store.recordOrderSnapshots(
      [
        { productId: a, size: 'M' },
        { productId: unknown, size: '' },
        { productId: a.toUpperCase(), size: 'M' },
        { productId: unknown, size: 'S' },
      ],
      none,
    );
    expect(refused).toEqual({ missing: [unknown, a.toUpperCase()], snapshots: [] });
    const again = await store.recordOrderSnapshots([{ productId: unknown, size: '' }], none);
    expect(again).toEqual({ missing: [unknown], snapshots: [] });
    const { rows: written } = await pool.query('SELECT 1 FROM product_history WHERE reason = $1', [none]);
    expect(written).toHaveLength(0);
  });
});
