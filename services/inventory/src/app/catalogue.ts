// Catalogue use cases (REST and gRPC share them): products, seller stock changes, history and
// order snapshots. Every change writes its events to the outbox in the same transaction.
import { formatMoney, invalid, notFound, outboxRow, Topics, createEnvelope, type AuthUser, type Envelope } from '@sudamall/shared';
import type { PrismaClient, Prisma } from '../generated/prisma/client';
import {
  applyAdjustment,
  assertCanManage,
  parsePrice,
  planInitialStock,
  priceString,
  stockSizeFor,
  storeForNewProduct,
  type SizeQuantity,
} from '../domain/product';
import { ReserveCodes, resolveLine } from '../domain/reservation';
import { UUID_RE } from '../infra/reservation-store';

type Tx = Prisma.TransactionClient;

export interface SizeView {
  size: string;
  available_quantity: number;
  reserved_quantity: number;
  sold_quantity: number;
}
export interface StockView {
  product_id: string;
  has_sizes: boolean;
  available_quantity: number;
  reserved_quantity: number;
  sold_quantity: number;
  sizes: SizeView[];
}
export interface ProductView extends Omit<StockView, 'product_id'> {
  id: string;
  product_name: string;
  product_description: string;
  price: string;
  color: string;
  brand: string;
  category: string;
  store_id: string;
  owner_id: string;
  deleted: boolean;
  created_at: string;
  updated_at: string;
}
export interface SnapshotView {
  snapshot_id: string;
  product_id: string;
  product_name: string;
  product_description: string;
  price: string;
  color: string;
  brand: string;
  category: string;
  size: string;
  store_id: string;
  reason: string;
  created_at: string;
}
export interface AvailabilityView {
  product_id: string;
  size: string;
  requested: number;
  available: boolean;
  available_quantity: number;
  /** '' when available; else INSUFFICIENT_STOCK, PRODUCT_NOT_FOUND, PRODUCT_UNAVAILABLE, SIZE_* or INVALID_QUANTITY */
  code: string;
  price: string;
  product_name: string;
}
export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  page_size: number;
}

export interface CreateProductInput {
  product_name: string;
  product_description?: string;
  price: string | number;
  color?: string;
  brand?: string;
  category?: string;
  store_id?: string;
  has_sizes?: boolean;
  available_quantity?: number;
  sizes?: SizeQuantity[];
}
export type UpdateProductInput = Partial<
  Pick<CreateProductInput, 'product_name' | 'product_description' | 'price' | 'color' | 'brand' | 'category'>
>;
export interface ListProductsQuery {
  category?: string;
  brand?: string;
  store_id?: string;
  search?: string;
  min_price?: string | number;
  max_price?: string | number;
  in_stock?: boolean;
  page?: number;
  page_size?: number;
}

type ProductWithStock = Prisma.ProductGetPayload<{ include: { stock: true } }>;
type StockRow = { size: string; available: number; reserved: number; sold: number };

export function stockView(productId: string, hasSizes: boolean, rows: StockRow[]): StockView {
  const sorted = [...rows].sort((a, b) => a.size.localeCompare(b.size));
  const sum = (f: (r: StockRow) => number) => sorted.reduce((n, r) => n + f(r), 0);
  return {
    product_id: productId,
    has_sizes: hasSizes,
    available_quantity: sum((r) => r.available),
    reserved_quantity: sum((r) => r.reserved),
    sold_quantity: sum((r) => r.sold),
    sizes: hasSizes
      ? sorted.map((r) => ({ size: r.size, available_quantity: r.available, reserved_quantity: r.reserved, sold_quantity: r.sold }))
      : [],
  };
}

export function productView(p: ProductWithStock): ProductView {
  const { product_id, ...stock } = stockView(p.id, p.hasSizes, p.stock);
  return {
    id: product_id,
    product_name: p.productName,
    product_description: p.productDescription,
    price: priceString(p.price),
    color: p.color,
    brand: p.brand,
    category: p.category,
    store_id: p.storeId,
    owner_id: p.ownerId,
    ...stock,
    deleted: p.deletedAt !== null,
    created_at: p.createdAt.toISOString(),
    updated_at: p.updatedAt.toISOString(),
  };
}

function snapshotView(h: Prisma.ProductHistoryGetPayload<object>): SnapshotView {
  return {
    snapshot_id: h.id,
    product_id: h.productId,
    product_name: h.productName,
    product_description: h.productDescription,
    price: priceString(h.price),
    color: h.color,
    brand: h.brand,
    category: h.category,
    size: h.size,
    store_id: h.storeId,
    reason: h.reason,
    created_at: h.createdAt.toISOString(),
  };
}

function historyData(p: ProductWithStock, reason: string, size = ''): Prisma.ProductHistoryCreateManyInput {
  return {
    productId: p.id,
    productName: p.productName,
    productDescription: p.productDescription,
    price: p.price,
    color: p.color,
    brand: p.brand,
    category: p.category,
    storeId: p.storeId,
    size,
    reason,
    snapshot: JSON.parse(JSON.stringify(productView(p))) as Prisma.InputJsonValue,
  };
}

const productNotFound = (id: string) => notFound('PRODUCT_NOT_FOUND', `no product ${id}`, { product_id: id });

export class Catalogue {
  constructor(private readonly prisma: PrismaClient) {}

  // ------------------------------------------------------------------ queries

  async list(q: ListProductsQuery): Promise<Page<ProductView>> {
    const page = q.page ?? 1;
    const pageSize = q.page_size ?? 20;
    const price: Prisma.DecimalFilter<'Product'> = {};
    if (q.min_price !== undefined) price.gte = parsePriceFilter(q.min_price, 'min_price');
    if (q.max_price !== undefined) price.lte = parsePriceFilter(q.max_price, 'max_price');
    const where: Prisma.ProductWhereInput = {
      deletedAt: null,
      ...(q.category ? { category: { equals: q.category, mode: 'insensitive' } } : {}),
      ...(q.brand ? { brand: { equals: q.brand, mode: 'insensitive' } } : {}),
      ...(q.store_id ? { storeId: q.store_id } : {}),
      ...(q.search
        ? {
            OR: [
              { productName: { contains: q.search, mode: 'insensitive' } },
              { productDescription: { contains: q.search, mode: 'insensitive' } },
            ],
          }
        : {}),
      ...(Object.keys(price).length ? { price } : {}),
      ...(q.in_stock === true ? { stock: { some: { available: { gt: 0 } } } } : {}),
      ...(q.in_stock === false ? { stock: { none: { available: { gt: 0 } } } } : {}),
    };
    const [total, rows] = await this.prisma.$transaction([
      this.prisma.product.count({ where }),
      this.prisma.product.findMany({
        where,
        include: { stock: true },
        orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
        skip: (page - 1) * pageSize,
        take: pageSize,
      }),
    ]);
    return { items: rows.map(productView), total, page, page_size: pageSize };
  }

  /** A live product (deleted ones are 404 here; GetProducts still shows them, flagged). */
  async detail(id: string): Promise<ProductView> {
    return productView(await this.live(this.prisma, id));
  }

  async stock(id: string): Promise<StockView> {
    const p = await this.live(this.prisma, id);
    return stockView(p.id, p.hasSizes, p.stock);
  }

  async history(id: string, page = 1, pageSize = 20): Promise<Page<SnapshotView>> {
    if (!UUID_RE.test(id) || !(await this.prisma.product.findUnique({ where: { id }, select: { id: true } }))) {
      throw productNotFound(id);
    }
    const where = { productId: id };
    const [total, rows] = await this.prisma.$transaction([
      this.prisma.productHistory.count({ where }),
      this.prisma.productHistory.findMany({
        where,
        orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
        skip: (page - 1) * pageSize,
        take: pageSize,
      }),
    ]);
    return { items: rows.map(snapshotView), total, page, page_size: pageSize };
  }

  /** Batch lookup for other services: deleted products included (flagged), unknown ids listed. */
  async getProducts(ids: string[]): Promise<{ products: ProductView[]; missing_ids: string[] }> {
    const unique = [...new Set(ids)];
    const valid = unique.filter((id) => UUID_RE.test(id));
    const rows = valid.length ? await this.prisma.product.findMany({ where: { id: { in: valid } }, include: { stock: true } }) : [];
    const byId = new Map(rows.map((r) => [r.id, r]));
    return {
      products: unique.flatMap((id) => (byId.has(id) ? [productView(byId.get(id)!)] : [])),
      missing_ids: unique.filter((id) => !byId.has(id)),
    };
  }

  /** Read-only check of order lines (cart validation): never reserves anything. */
  async checkAvailability(lines: Array<{ product_id: string; size?: string | null; quantity: number }>): Promise<{
    lines: AvailabilityView[];
    all_available: boolean;
  }> {
    const ids = [...new Set(lines.map((l) => l.product_id).filter((id) => UUID_RE.test(id)))];
    const rows = ids.length ? await this.prisma.product.findMany({ where: { id: { in: ids } }, include: { stock: true } }) : [];
    const byId = new Map(rows.map((r) => [r.id, r]));
    const out = lines.map((l): AvailabilityView => {
      const size = l.size ?? '';
      const p = byId.get(l.product_id);
      const base = { product_id: l.product_id, size, requested: l.quantity, price: p ? priceString(p.price) : '', product_name: p?.productName ?? '' };
      const resolved = resolveLine(
        { line_id: '', product_id: l.product_id, size, quantity: l.quantity },
        p && { productId: p.id, hasSizes: p.hasSizes, deleted: p.deletedAt !== null, stockIds: new Map(p.stock.map((s) => [s.size, s.id])) },
      );
      if (!resolved.ok) return { ...base, available: false, available_quantity: 0, code: resolved.code };
      const row = p!.stock.find((s) => s.id === resolved.stockId)!;
      if (!Number.isInteger(l.quantity) || l.quantity <= 0) {
        return { ...base, available: false, available_quantity: row.available, code: 'INVALID_QUANTITY' };
      }
      const ok = row.available >= l.quantity;
      return { ...base, available: ok, available_quantity: row.available, code: ok ? '' : ReserveCodes.insufficientStock };
    });
    return { lines: out, all_available: out.every((l) => l.available) };
  }

  // ------------------------------------------------------------------ commands

  async create(user: AuthUser, input: CreateProductInput): Promise<ProductView> {
    const storeId = storeForNewProduct(user, input.store_id);
    const price = parsePrice(input.price);
    const plan = planInitialStock(input);
    return this.prisma.$transaction(async (tx) => {
      const created = await tx.product.create({
        data: {
          productName: input.product_name,
          productDescription: input.product_description ?? '',
          price: price.toFixed(2),
          color: input.color ?? '',
          brand: input.brand ?? '',
          category: input.category ?? '',
          storeId,
          ownerId: user.id,
          hasSizes: plan.hasSizes,
          stock: { create: plan.rows.map((r) => ({ size: r.size, available: r.available })) },
        },
        include: { stock: true },
      });
      await tx.stockAdjustment.createMany({
        data: created.stock.map((s) => ({
          stockId: s.id,
          productId: created.id,
          delta: s.available,
          availableAfter: s.available,
          reason: 'initial',
          actorId: user.id,
        })),
      });
      await tx.productHistory.createMany({ data: [historyData(created, 'created')] });
      await this.emit(tx, [productUpdated(created), stockChanged(created.id, created.hasSizes, created.stock)]);
      return productView(created);
    });
  }

  async update(user: AuthUser, id: string, input: UpdateProductInput): Promise<ProductView> {
    const newPrice = input.price !== undefined ? parsePrice(input.price) : undefined;
    return this.prisma.$transaction(async (tx) => {
      const before = await this.manageable(tx, user, id);
      const oldPrice = priceString(before.price);
      const after = await tx.product.update({
        where: { id },
        data: {
          ...(input.product_name !== undefined ? { productName: input.product_name } : {}),
          ...(input.product_description !== undefined ? { productDescription: input.product_description } : {}),
          ...(input.color !== undefined ? { color: input.color } : {}),
          ...(input.brand !== undefined ? { brand: input.brand } : {}),
          ...(input.category !== undefined ? { category: input.category } : {}),
          ...(newPrice !== undefined ? { price: newPrice.toFixed(2) } : {}),
        },
        include: { stock: true },
      });
      const priceChanged = newPrice !== undefined && formatMoney(newPrice) !== oldPrice;
      await tx.productHistory.createMany({ data: [historyData(after, priceChanged ? 'price_changed' : 'updated')] });
      const events: Envelope[] = [];
      if (priceChanged) {
        events.push(createEnvelope('product.price_changed', id, { product_id: id, old_price: oldPrice, new_price: formatMoney(newPrice) }));
      }
      events.push(productUpdated(after));
      await this.emit(tx, events);
      return productView(after);
    });
  }

  /** Sets a row's available quantity (creating a new size of a sized product); logged as an adjustment. */
  async setStock(user: AuthUser, id: string, input: { size?: string | null; available_quantity: number }): Promise<StockView> {
    return this.changeStock(user, id, input.size, 'set', () => ({ reason: 'set', target: () => input.available_quantity }));
  }

  /** Adds delta (may be negative) to a row's available quantity; logged with the seller's reason. */
  async adjustStock(user: AuthUser, id: string, input: { size?: string | null; delta: number; reason: string }): Promise<StockView> {
    return this.changeStock(user, id, input.size, 'adjust', () => ({
      reason: input.reason,
      target: (available: number) => applyAdjustment(available, input.delta),
    }));
  }

  async remove(user: AuthUser, id: string): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      const p = await this.manageable(tx, user, id);
      const deleted = await tx.product.update({ where: { id }, data: { deletedAt: new Date() }, include: { stock: true } });
      await tx.productHistory.createMany({ data: [historyData(deleted, 'deleted')] });
      await this.emit(tx, [createEnvelope('product.deleted', p.id, { product_id: p.id })]);
    });
  }

  /**
   * Freezes the products as they are now, one snapshot per item, all or nothing (an order keeps
   * what the buyer saw). Deleted products can still be snapshotted (the order may predate it).
   */
  async createSnapshots(items: Array<{ product_id: string; size?: string | null }>, reason: string): Promise<SnapshotView[]> {
    const ids = [...new Set(items.map((i) => i.product_id))];
    const valid = ids.filter((i) => UUID_RE.test(i));
    const rows = valid.length ? await this.prisma.product.findMany({ where: { id: { in: valid } }, include: { stock: true } }) : [];
    const byId = new Map(rows.map((r) => [r.id, r]));
    const missing = ids.filter((i) => !byId.has(i));
    if (missing.length > 0) throw notFound('PRODUCT_NOT_FOUND', `unknown products: ${missing.join(', ')}`, { missing_ids: missing });
    const created = await this.prisma.$transaction(
      items.map((i) =>
        this.prisma.productHistory.create({ data: historyData(byId.get(i.product_id)!, reason || 'order', i.size ?? '') }),
      ),
    );
    return created.map(snapshotView);
  }

  async getSnapshot(snapshotId: string): Promise<SnapshotView> {
    const h = UUID_RE.test(snapshotId) ? await this.prisma.productHistory.findUnique({ where: { id: snapshotId } }) : null;
    if (!h) throw notFound('SNAPSHOT_NOT_FOUND', `no snapshot ${snapshotId}`, { snapshot_id: snapshotId });
    return snapshotView(h);
  }

  // ------------------------------------------------------------------ helpers

  private async changeStock(
    user: AuthUser,
    id: string,
    size: string | null | undefined,
    kind: 'set' | 'adjust',
    how: () => { reason: string; target: (available: number) => number },
  ): Promise<StockView> {
    const { reason, target } = how();
    return this.prisma.$transaction(async (tx) => {
      const p = await this.manageable(tx, user, id);
      const sz = stockSizeFor(p.hasSizes, size);
      // Row lock: a reservation batch that read this row before us fails its guarded write if
      // we lowered the stock, and decides again.
      const rows = await tx.$queryRaw<Array<{ id: string; available: number }>>`
        SELECT id, available FROM stock WHERE product_id = ${id}::uuid AND size = ${sz} FOR UPDATE`;
      let stockId: string;
      let before = 0;
      if (rows.length === 0) {
        if (kind === 'adjust' || !p.hasSizes) throw notFound('SIZE_NOT_FOUND', `no size ${sz} for this product`, { size: sz });
        stockId = (await tx.stock.create({ data: { productId: id, size: sz, available: 0 } })).id;
      } else {
        stockId = rows[0].id;
        before = rows[0].available;
      }
      const after = target(before);
      if (after !== before || rows.length === 0) {
        await tx.stock.update({ where: { id: stockId }, data: { available: after, updatedAt: new Date() } });
        await tx.stockAdjustment.create({
          data: { stockId, productId: id, delta: after - before, availableAfter: after, reason, actorId: user.id },
        });
      }
      const stock = await tx.stock.findMany({ where: { productId: id } });
      // A new size changes what the product offers, not only its stock.
      const events = rows.length === 0 ? [productUpdated({ ...p, stock }), stockChanged(id, p.hasSizes, stock)] : [stockChanged(id, p.hasSizes, stock)];
      await this.emit(tx, events);
      return stockView(id, p.hasSizes, stock);
    });
  }

  private async live(db: Tx | PrismaClient, id: string): Promise<ProductWithStock> {
    const p = UUID_RE.test(id) ? await db.product.findUnique({ where: { id }, include: { stock: true } }) : null;
    if (!p || p.deletedAt) throw productNotFound(id);
    return p;
  }

  private async manageable(tx: Tx, user: AuthUser, id: string): Promise<ProductWithStock> {
    const p = await this.live(tx, id);
    assertCanManage(user, p);
    return p;
  }

  private async emit(tx: Tx, events: Envelope[]): Promise<void> {
    if (events.length === 0) return;
    await tx.outboxMessage.createMany({
      data: events.map((e) => {
        const row = outboxRow(Topics.inventoryEvents, e);
        return { ...row, payload: row.payload as unknown as Prisma.InputJsonValue };
      }),
    });
  }
}

function productUpdated(p: ProductWithStock): Envelope {
  return createEnvelope('product.updated', p.id, {
    product_id: p.id,
    product_name: p.productName,
    price: priceString(p.price),
    has_sizes: p.hasSizes,
    sizes: p.hasSizes ? p.stock.map((s) => s.size).sort() : [],
  });
}

function stockChanged(productId: string, hasSizes: boolean, rows: StockRow[]): Envelope {
  return createEnvelope('stock.changed', productId, stockView(productId, hasSizes, rows));
}

function parsePriceFilter(v: string | number, name: string): string {
  try {
    return parsePrice(v).toFixed(2);
  } catch {
    // A bad filter is the caller's mistake: 400, never a 500.
    throw invalid('INVALID_PRICE', `${name} must be an amount like "19.99"`, { [name]: v });
  }
}
