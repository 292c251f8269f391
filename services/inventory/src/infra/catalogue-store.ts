// The catalogue's data access: products, their stock rows, history and seller adjustments,
// through Prisma's models. Raw SQL only for what the models cannot say: row locks
// (`SELECT ... FOR UPDATE`), as the named constants below. Rules are not decided here: the
// use cases in app/ call domain/product.ts and tell the store what to write.
import { money, outboxRow, sqlOverPrisma, Topics, type Envelope, type SqlRunner } from '@sudamall/shared';
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

export class CatalogueStore {
  constructor(private readonly prisma: PrismaClient) {}

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
    return (await this.prisma.product.findMany({ where: { id: { in: valid } }, include: LIVE_STOCK })).map(toProduct);
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

  /** Writes the entries all or nothing (one batch transaction), in order. */
  async recordSnapshots(entries: HistoryEntry[]): Promise<SnapshotRecord[]> {
    const created = await this.prisma.$transaction(entries.map((e) => this.prisma.productHistory.create({ data: historyData(e) })));
    return created.map(toSnapshot);
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
