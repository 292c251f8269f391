// The catalogue's data access: products, their stock rows, history and seller adjustments,
// through Prisma's models. Raw SQL only for what the models cannot say: row locks
// (`SELECT ... FOR UPDATE`), and the two reads every checkout makes over gRPC (GetProducts by
// cart and order, CreateSnapshots by order), as the named constants below. Rules are not
// decided here: the use cases in app/ call domain/product.ts and tell the store what to write.
import { randomUUID } from 'node:crypto';
import { money, outboxRow, sqlOverPrisma, Topics, type Envelope, type SqlRunner } from '@sudamall/shared';
import type DecimalBase from 'decimal.js';
import type { PrismaClient, Prisma } from '../generated/prisma/client';
import { priceOf, type ProductRecord, type ProductSort, type SizeRow, type SnapshotRecord, type StockRecord } from '../domain/product';
import { UUID_RE } from './reservation-store';

type Tx = Prisma.TransactionClient;
type ProductRow = Prisma.ProductGetPayload<{ include: { stock: true } }>;
type HistoryRow = Prisma.ProductHistoryGetPayload<object>;

/** A product's sizes as they are offered: removed ones stay in the table, out of every view. */
const LIVE_STOCK = { stock: { where: { removedAt: null } } } as const;

/** The product row, locked for the rest of the transaction. */
export const LOCK_PRODUCT_SQL = 'SELECT id FROM products WHERE id = $1::uuid FOR UPDATE';

/** Every stock row of the product, removed ones included (their names stay taken), locked in id order. */
export const LOCK_SIZES_SQL = `
SELECT id, size, available, reserved, removed_at AS "removedAt" FROM stock WHERE product_id = $1::uuid ORDER BY id FOR UPDATE`;

/**
 * One size's stock row, locked: a reservation batch that read it before us fails its guarded
 * write if we lowered the stock, and decides again.
 */
export const LOCK_STOCK_ROW_SQL = 'SELECT id, available, removed_at IS NOT NULL AS removed FROM stock WHERE product_id = $1::uuid AND size = $2 FOR UPDATE';

// A product and its live stock rows as ONE JSON value per product (prices as text, exact).
// Why raw: GetProducts is called by cart and order on every checkout (and CheckAvailability
// reads the same), and Prisma's findMany with its stock relation is two statements (products,
// then stock) through Prisma's query compiler; this is one statement through the runner.
const PRODUCT_JSON = `
jsonb_build_object(
  'id', p.id, 'productName', p.product_name, 'productDescription', p.product_description,
  'price', p.price::text, 'salePrice', p.sale_price::text, 'images', p.images,
  'color', p.color, 'brand', p.brand, 'category', p.category, 'storeId', p.store_id, 'ownerId', p.owner_id,
  'hasSizes', p.has_sizes, 'deletedAt', p.deleted_at, 'createdAt', p.created_at, 'updatedAt', p.updated_at,
  'stock', coalesce((SELECT jsonb_agg(jsonb_build_object('id', s.id, 'size', s.size, 'available', s.available, 'reserved', s.reserved, 'sold', s.sold) ORDER BY s.id)
                       FROM stock s WHERE s.product_id = p.id AND s.removed_at IS NULL), '[]'::jsonb))`;

export const PRODUCTS_BY_ID_SQL = `SELECT ${PRODUCT_JSON} AS product FROM products p WHERE p.id = ANY($1::uuid[])`;

// An order's snapshots (CreateSnapshots, once per placed order): the products read and their
// history rows written in ONE statement, all or nothing (nothing is written when a product is
// missing: the caller's `complete` flag is false, or `missing` is not empty). Before, it was
// Prisma's two reads (products, stock) and a Prisma insert: three statements. `snapshot` is
// app/catalogue-events.ts productDocument built in SQL: the same keys and values (prices with two
// decimals, timestamps as toISOString writes them, sizes in localeCompare's order: the ICU root
// collation), which test/integration/checkout-reads.test.ts compares with productDocument.
// $1 history ids (the caller's, to answer in request order), $2 product ids, $3 sizes, $4 reason,
// $5 whether every requested id can be found at all. Each row also answers `productState`, the
// product as it stood (deleted, has_sizes, its live sizes in the snapshot's order), from which
// order decides whether the line can be ordered: a deleted product or an unknown size is
// snapshotted like any other (order refuses the placement; the rows stay unreferenced, as those
// of a placement whose insert failed always did).
export const ORDER_SNAPSHOTS_SQL = `
WITH
i AS (SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS i(id, product_id, size)),
p AS (
  SELECT p.*,
         coalesce(sum(s.available), 0)::int AS available, coalesce(sum(s.reserved), 0)::int AS reserved, coalesce(sum(s.sold), 0)::int AS sold,
         coalesce(jsonb_agg(jsonb_build_object('size_id', s.id, 'size', s.size, 'available_quantity', s.available,
                                               'reserved_quantity', s.reserved, 'sold_quantity', s.sold)
                            ORDER BY s.size COLLATE "und-x-icu") FILTER (WHERE s.id IS NOT NULL), '[]'::jsonb) AS sizes
    FROM products p LEFT JOIN stock s ON s.product_id = p.id AND s.removed_at IS NULL
   WHERE p.id IN (SELECT product_id FROM i)
   GROUP BY p.id
),
missing AS (SELECT DISTINCT i.product_id FROM i WHERE NOT EXISTS (SELECT 1 FROM p WHERE p.id = i.product_id)),
h AS (
  INSERT INTO product_history (id, product_id, product_name, product_description, price, sale_price, current_price,
                               color, brand, category, store_id, size, kind, reason, snapshot)
  SELECT i.id, p.id, p.product_name, p.product_description, p.price, p.sale_price, p.current_price,
         p.color, p.brand, p.category, p.store_id, i.size, 'order', $4,
         jsonb_build_object(
           'id', p.id, 'product_name', p.product_name, 'product_description', p.product_description,
           'price', p.price::text, 'sale_price', p.sale_price::text, 'current_price', p.current_price::text,
           'images', p.images, 'color', p.color, 'brand', p.brand, 'category', p.category,
           'store_id', p.store_id, 'owner_id', p.owner_id, 'has_sizes', p.has_sizes,
           'available_quantity', p.available, 'reserved_quantity', p.reserved, 'sold_quantity', p.sold,
           'sizes', CASE WHEN p.has_sizes THEN p.sizes ELSE '[]'::jsonb END,
           'deleted', p.deleted_at IS NOT NULL,
           'created_at', to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
           'updated_at', to_char(p.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
    FROM i JOIN p ON p.id = i.product_id
   WHERE $5::boolean AND NOT EXISTS (SELECT 1 FROM missing)
  RETURNING jsonb_build_object(
    'id', id, 'productId', product_id, 'productName', product_name, 'productDescription', product_description,
    'price', price::text, 'salePrice', sale_price::text, 'currentPrice', current_price::text,
    'color', color, 'brand', brand, 'category', category, 'size', size, 'storeId', store_id,
    'reason', reason, 'createdAt', created_at,
    'productState', jsonb_build_object(
      'deleted', (snapshot->>'deleted')::boolean, 'hasSizes', (snapshot->>'has_sizes')::boolean,
      'sizes', (SELECT coalesce(jsonb_agg(z->'size' ORDER BY n), '[]'::jsonb) FROM jsonb_array_elements(snapshot->'sizes') WITH ORDINALITY AS z(z, n)))) AS row
)
SELECT (SELECT coalesce(jsonb_agg(product_id), '[]'::jsonb) FROM missing) AS missing,
       (SELECT coalesce(jsonb_agg(row), '[]'::jsonb) FROM h) AS rows`;

/** A canonical (lower-case) UUID: what the database answers ids as, so the only form a request can match by. */
const CANONICAL_UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** GET /products/ filters, already parsed and checked by the use case. */
export interface ProductFilter {
  category?: string;
  brand?: string;
  storeId?: string;
  /** Name or description contains it, any case. */
  text?: string;
  /** Bounds on current_price, two-decimal strings. */
  minPrice?: string;
  maxPrice?: string;
  inStock?: boolean;
}

/** A history entry to write: the product as it is, and the JSON copy kept with it. */
export interface HistoryEntry {
  product: ProductRecord;
  reason: string;
  /** '' for the product's own history; the ordered size for an order's snapshot. */
  size?: string;
  kind?: 'change' | 'order';
  snapshot: unknown;
}

export interface NewProduct {
  productName: string;
  productDescription: string;
  price: string;
  salePrice: string | null;
  images: string[];
  color: string;
  brand: string;
  category: string;
  storeId: string;
  ownerId: string;
  hasSizes: boolean;
  stock: Array<{ size: string; available: number }>;
}

export type ProductChanges = Partial<
  Pick<NewProduct, 'productName' | 'productDescription' | 'price' | 'salePrice' | 'images' | 'color' | 'brand' | 'category'>
>;

export interface AdjustmentEntry {
  stockId: string;
  productId: string;
  delta: number;
  availableAfter: number;
  reason: string;
  actorId: string;
}

/** A product or a snapshot as PRODUCT_JSON and ORDER_SNAPSHOTS_SQL answer it. */
type Json<T> = {
  [K in keyof T]: T[K] extends Date
    ? string
    : T[K] extends Date | null
      ? string | null
      : T[K] extends DecimalBase
        ? string
        : T[K] extends DecimalBase | null
          ? string | null
          : T[K];
};

export class CatalogueStore {
  /**
   * `sql`: the runner of the raw reads above; the container gives it the service's node-postgres
   * pool (no Prisma on the checkout's path), tests may leave it to run over the Prisma client.
   */
  constructor(
    private readonly prisma: PrismaClient,
    private readonly sql: SqlRunner = sqlOverPrisma(prisma),
  ) {}

  /** One page of live products matching the filter, and how many match in all. */
  async list(filter: ProductFilter, sort: ProductSort, page: number, pageSize: number): Promise<{ total: number; rows: ProductRecord[] }> {
    const price: Prisma.DecimalNullableFilter<'Product'> = {};
    if (filter.minPrice !== undefined) price.gte = filter.minPrice;
    if (filter.maxPrice !== undefined) price.lte = filter.maxPrice;
    const where: Prisma.ProductWhereInput = {
      deletedAt: null,
      ...(filter.category ? { category: { equals: likeLiteral(filter.category), mode: 'insensitive' } } : {}),
      ...(filter.brand ? { brand: { equals: likeLiteral(filter.brand), mode: 'insensitive' } } : {}),
      ...(filter.storeId ? { storeId: filter.storeId } : {}),
      ...(filter.text
        ? {
            OR: [
              { productName: { contains: likeLiteral(filter.text), mode: 'insensitive' } },
              { productDescription: { contains: likeLiteral(filter.text), mode: 'insensitive' } },
            ],
          }
        : {}),
      // On what a buyer pays now (a product on sale is found by its sale price).
      ...(Object.keys(price).length ? { currentPrice: price } : {}),
      ...(filter.inStock === true ? { stock: { some: { available: { gt: 0 }, removedAt: null } } } : {}),
      ...(filter.inStock === false ? { stock: { none: { available: { gt: 0 }, removedAt: null } } } : {}),
    };
    const [total, rows] = await this.prisma.$transaction([
      this.prisma.product.count({ where }),
      this.prisma.product.findMany({ where, include: LIVE_STOCK, orderBy: orderOf(sort), skip: (page - 1) * pageSize, take: pageSize }),
    ]);
    return { total, rows: rows.map(toProduct) };
  }

  /** A product, deleted or not; null for an unknown or malformed id. */
  async find(id: string): Promise<ProductRecord | null> {
    return findProduct(this.prisma, id);
  }

  async exists(id: string): Promise<boolean> {
    return UUID_RE.test(id) && (await this.prisma.product.findUnique({ where: { id }, select: { id: true } })) !== null;
  }

  /** Products by id, deleted ones included; unknown and malformed ids are simply absent. */
  async findMany(ids: string[]): Promise<ProductRecord[]> {
    const valid = ids.filter((id) => UUID_RE.test(id));
    if (valid.length === 0) return [];
    const rows = await this.sql.query<{ product: Json<ProductRecord> }>(PRODUCTS_BY_ID_SQL, [valid]);
    return rows.map((r) => fromJson(r.product));
  }

  /**
   * An order's snapshots, one per item in order, all or nothing: none are written when a product
   * is unknown, and `missing` lists the unknown product ids (each once, in request order).
   */
  async recordOrderSnapshots(items: Array<{ productId: string; size: string }>, reason: string): Promise<{ missing: string[]; snapshots: SnapshotRecord[] }> {
    const canonical = items.filter((i) => CANONICAL_UUID_RE.test(i.productId));
    const ids = items.map(() => randomUUID());
    const [row] = await this.sql.query<{ missing: string[]; rows: Array<Json<SnapshotRecord>> }>(ORDER_SNAPSHOTS_SQL, [
      canonical.map((_, n) => ids[n]),
      canonical.map((i) => i.productId),
      canonical.map((i) => i.size),
      reason,
      canonical.length === items.length,
    ]);
    const unknown = new Set([...items.filter((i) => !CANONICAL_UUID_RE.test(i.productId)).map((i) => i.productId), ...row.missing]);
    if (unknown.size > 0) return { missing: [...new Set(items.map((i) => i.productId))].filter((id) => unknown.has(id)), snapshots: [] };
    const byId = new Map(row.rows.map((h) => [h.id, h]));
    return {
      missing: [],
      snapshots: ids.map((id) => {
        const h = byId.get(id);
        if (!h) throw new Error(`snapshot ${id} was not written`);
        return snapshotFromJson(h);
      }),
    };
  }

  /** The product's change history (kind `change`), newest first. */
  async history(productId: string, page: number, pageSize: number): Promise<{ total: number; rows: SnapshotRecord[] }> {
    const where = { productId, kind: 'change' };
    const [total, rows] = await this.prisma.$transaction([
      this.prisma.productHistory.count({ where }),
      this.prisma.productHistory.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'asc' }], skip: (page - 1) * pageSize, take: pageSize }),
    ]);
    return { total, rows: rows.map(toSnapshot) };
  }

  async findSnapshot(id: string): Promise<SnapshotRecord | null> {
    const h = UUID_RE.test(id) ? await this.prisma.productHistory.findUnique({ where: { id } }) : null;
    return h ? toSnapshot(h) : null;
  }

  /** Runs `work` in one interactive transaction: a change, its history, its adjustments and its events commit together. */
  transaction<T>(work: (tx: CatalogueTx) => Promise<T>): Promise<T> {
    return this.prisma.$transaction((tx) => work(new CatalogueTx(tx)));
  }
}

/** The catalogue's writes inside one transaction (CatalogueStore.transaction). */
export class CatalogueTx {
  /** The raw statements above, run in this transaction. */
  private readonly sql: SqlRunner;

  constructor(private readonly tx: Tx) {
    this.sql = sqlOverPrisma(tx);
  }

  /** Locks the product row (a no-op for an unknown or malformed id): its changes run one after another. */
  async lockProduct(id: string): Promise<void> {
    if (UUID_RE.test(id)) await this.sql.query(LOCK_PRODUCT_SQL, [id]);
  }

  async find(id: string): Promise<ProductRecord | null> {
    return findProduct(this.tx, id);
  }

  /** Every stock row of the product, removed ones included, locked. */
  async lockSizes(productId: string): Promise<SizeRow[]> {
    return this.sql.query<SizeRow>(LOCK_SIZES_SQL, [productId]);
  }

  /** The stock row of one size (removed or not), locked; undefined when the product never had it. */
  async lockStockRow(productId: string, size: string): Promise<{ id: string; available: number; removed: boolean } | undefined> {
    const rows = await this.sql.query<{ id: string; available: number; removed: boolean }>(LOCK_STOCK_ROW_SQL, [productId, size]);
    return rows[0];
  }

  async createProduct(p: NewProduct): Promise<ProductRecord> {
    const { stock, ...fields } = p;
    return toProduct(await this.tx.product.create({ data: { ...fields, stock: { create: stock } }, include: LIVE_STOCK }));
  }

  async updateProduct(id: string, changes: ProductChanges): Promise<ProductRecord> {
    return toProduct(await this.tx.product.update({ where: { id }, data: changes, include: LIVE_STOCK }));
  }

  async softDelete(id: string, at: Date): Promise<ProductRecord> {
    return toProduct(await this.tx.product.update({ where: { id }, data: { deletedAt: at }, include: LIVE_STOCK }));
  }

  /** A new (empty) stock row for a size the product never had. */
  async createStockRow(productId: string, size: string): Promise<string> {
    return (await this.tx.stock.create({ data: { productId, size, available: 0 } })).id;
  }

  /** Sets a row's available units; the row is offered (again, if it was removed). */
  async setAvailable(stockId: string, available: number, at: Date): Promise<void> {
    await this.tx.stock.update({ where: { id: stockId }, data: { available, removedAt: null, updatedAt: at } });
  }

  async renameSize(stockId: string, size: string, at: Date): Promise<void> {
    await this.tx.stock.update({ where: { id: stockId }, data: { size, updatedAt: at } });
  }

  /** Takes a size out of the catalogue: its available units leave with it (the caller logs them). */
  async removeSize(stockId: string, at: Date): Promise<void> {
    await this.tx.stock.update({ where: { id: stockId }, data: { available: 0, removedAt: at, updatedAt: at } });
  }

  /** The product's live stock rows. */
  async liveStock(productId: string): Promise<StockRecord[]> {
    return this.tx.stock.findMany({ where: { productId, removedAt: null } });
  }

  async logAdjustments(entries: AdjustmentEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.tx.stockAdjustment.createMany({ data: entries });
  }

  async recordHistory(entry: HistoryEntry): Promise<void> {
    await this.tx.productHistory.createMany({ data: [historyData(entry)] });
  }

  /** The events of this change, to the outbox in the same transaction. */
  async emit(events: Envelope[]): Promise<void> {
    if (events.length === 0) return;
    await this.tx.outboxMessage.createMany({
      data: events.map((e) => {
        const row = outboxRow(Topics.inventoryEvents, e);
        return { ...row, payload: row.payload };
      }),
    });
  }
}

async function findProduct(db: Tx | PrismaClient, id: string): Promise<ProductRecord | null> {
  const p = UUID_RE.test(id) ? await db.product.findUnique({ where: { id }, include: LIVE_STOCK }) : null;
  return p ? toProduct(p) : null;
}

const decimal = (d: Prisma.Decimal) => money(d.toString());
const decimalOrNull = (d: string | null) => (d === null ? null : money(d));

function fromJson(p: Json<ProductRecord>): ProductRecord {
  return {
    ...p,
    price: money(p.price),
    salePrice: decimalOrNull(p.salePrice),
    deletedAt: p.deletedAt === null ? null : new Date(p.deletedAt),
    createdAt: new Date(p.createdAt),
    updatedAt: new Date(p.updatedAt),
  };
}

function snapshotFromJson(h: Json<SnapshotRecord>): SnapshotRecord {
  return {
    ...h,
    price: money(h.price),
    salePrice: decimalOrNull(h.salePrice),
    currentPrice: decimalOrNull(h.currentPrice),
    createdAt: new Date(h.createdAt),
  };
}

function toProduct(p: ProductRow): ProductRecord {
  return {
    id: p.id,
    productName: p.productName,
    productDescription: p.productDescription,
    price: decimal(p.price),
    salePrice: p.salePrice === null ? null : decimal(p.salePrice),
    images: p.images,
    color: p.color,
    brand: p.brand,
    category: p.category,
    storeId: p.storeId,
    ownerId: p.ownerId,
    hasSizes: p.hasSizes,
    deletedAt: p.deletedAt,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
    stock: p.stock.map((s) => ({ id: s.id, size: s.size, available: s.available, reserved: s.reserved, sold: s.sold })),
  };
}

function toSnapshot(h: HistoryRow): SnapshotRecord {
  return {
    id: h.id,
    productId: h.productId,
    productName: h.productName,
    productDescription: h.productDescription,
    price: decimal(h.price),
    salePrice: h.salePrice === null ? null : decimal(h.salePrice),
    currentPrice: h.currentPrice === null ? null : decimal(h.currentPrice),
    color: h.color,
    brand: h.brand,
    category: h.category,
    size: h.size,
    storeId: h.storeId,
    reason: h.reason,
    createdAt: h.createdAt,
  };
}

function historyData(e: HistoryEntry): Prisma.ProductHistoryCreateManyInput {
  const p = e.product;
  return {
    productId: p.id,
    productName: p.productName,
    productDescription: p.productDescription,
    price: p.price.toFixed(2),
    salePrice: p.salePrice?.toFixed(2) ?? null,
    currentPrice: priceOf(p).toFixed(2),
    color: p.color,
    brand: p.brand,
    category: p.category,
    storeId: p.storeId,
    size: e.size ?? '',
    kind: e.kind ?? 'change',
    reason: e.reason,
    snapshot: JSON.parse(JSON.stringify(e.snapshot)) as Prisma.InputJsonValue,
  };
}

/**
 * Prisma turns case-insensitive `equals` and `contains` into ILIKE with the text as given, so a
 * `%` or `_` from the query would be a wildcard (brand=% matched every product): escaped here.
 */
function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, '\\$&');
}

function orderOf(sort: ProductSort): Prisma.ProductOrderByWithRelationInput[] {
  // Ties broken by id, so pages never repeat or skip a product.
  switch (sort) {
    case 'price':
      return [{ currentPrice: 'asc' }, { id: 'asc' }];
    case '-price':
      return [{ currentPrice: 'desc' }, { id: 'asc' }];
    case 'created_at':
      return [{ createdAt: 'asc' }, { id: 'asc' }];
    case 'name':
      return [{ productName: 'asc' }, { id: 'asc' }];
    case '-name':
      return [{ productName: 'desc' }, { id: 'asc' }];
    case 'newest':
    case '-created_at':
      return [{ createdAt: 'desc' }, { id: 'asc' }];
  }
}
