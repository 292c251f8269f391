// Catalogue use cases (REST and gRPC share them): products, seller stock changes, history and
// order snapshots. Every change writes its events to the outbox in the same transaction.
import { formatMoney, money, notFound, outboxRow, Topics, createEnvelope, type AuthUser, type Envelope, type StockChangedEvent } from '@sudamall/shared';
import type { PrismaClient, Prisma } from '../generated/prisma/client';
import {
  applyAdjustment,
  assertCanManage,
  canSeeSales,
  currentPrice,
  parsePrice,
  parsePriceBound,
  parseSalePrice,
  renamedSize,
  sizeRemoval,
  sizeToChange,
  assertNoReservations,
  validateImages,
  planInitialStock,
  priceString,
  stockSizeFor,
  storeForNewProduct,
  type ProductSort,
  type SizeQuantity,
} from '../domain/product';
import type DecimalBase from 'decimal.js';
import { ReserveCodes, resolveLine } from '../domain/reservation';
import { UUID_RE } from '../infra/reservation-store';

type Tx = Prisma.TransactionClient;

export interface SizeView {
  /** The stock row's id: what PATCH/DELETE /sizes/{size_id}/ name. */
  size_id: string;
  size: string;
  available_quantity: number;
  reserved_quantity: number;
  /** Left out for readers other than the product's store's sellers and admins. */
  sold_quantity?: number;
}
export interface StockView {
  product_id: string;
  has_sizes: boolean;
  available_quantity: number;
  reserved_quantity: number;
  /** Left out for readers other than the product's store's sellers and admins. */
  sold_quantity?: number;
  sizes: SizeView[];
}
export interface ProductView extends Omit<StockView, 'product_id'> {
  id: string;
  product_name: string;
  product_description: string;
  price: string;
  /** null when no sale is on. */
  sale_price: string | null;
  /** What a buyer pays now: sale_price when set, else price. */
  current_price: string;
  images: string[];
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
  /** When the product was like this (the spec's name; created_at says the same). */
  snapshot_taken_at: string;
  product_id: string;
  product_name: string;
  product_description: string;
  /** The list price then (the spec's name; price says the same). */
  product_price: string;
  price: string;
  sale_price: string | null;
  current_price: string;
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
  /** What a buyer pays now ('' when the product is not found). */
  current_price: string;
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
  sale_price?: string | number | null;
  images?: string[];
  color?: string;
  brand?: string;
  category?: string;
  store_id?: string;
  has_sizes?: boolean;
  available_quantity?: number;
  sizes?: SizeQuantity[];
}
export type UpdateProductInput = Partial<
  Pick<CreateProductInput, 'product_name' | 'product_description' | 'price' | 'sale_price' | 'images' | 'color' | 'brand' | 'category'>
>;
export interface ListProductsQuery {
  category?: string;
  brand?: string;
  store_id?: string;
  /** Case-insensitive match on name and description (`search` is its older name). */
  q?: string;
  search?: string;
  /** On current_price. */
  min_price?: string | number;
  max_price?: string | number;
  in_stock?: boolean;
  sort?: ProductSort;
  page?: number;
  page_size?: number;
}
/** Who reads: sold quantities are shown to the product's store's sellers and admins only. */
export type Viewer = AuthUser | null | undefined;

type ProductWithStock = Prisma.ProductGetPayload<{ include: { stock: true } }>;
type StockRow = { id: string; size: string; available: number; reserved: number; sold: number };
/** A product's sizes as they are offered: removed ones stay in the table, out of every view. */
const LIVE_STOCK = { stock: { where: { removedAt: null } } } as const;

export function stockView(productId: string, hasSizes: boolean, rows: StockRow[], showSales = true): StockView {
  const sorted = [...rows].sort((a, b) => a.size.localeCompare(b.size));
  const sum = (f: (r: StockRow) => number) => sorted.reduce((n, r) => n + f(r), 0);
  return {
    product_id: productId,
    has_sizes: hasSizes,
    available_quantity: sum((r) => r.available),
    reserved_quantity: sum((r) => r.reserved),
    ...(showSales ? { sold_quantity: sum((r) => r.sold) } : {}),
    sizes: hasSizes
      ? sorted.map((r) => ({
          size_id: r.id,
          size: r.size,
          available_quantity: r.available,
          reserved_quantity: r.reserved,
          ...(showSales ? { sold_quantity: r.sold } : {}),
        }))
      : [],
  };
}

function priceOf(p: { price: Prisma.Decimal; salePrice: Prisma.Decimal | null }): DecimalBase {
  return currentPrice(money(p.price.toString()), p.salePrice === null ? null : money(p.salePrice.toString()));
}

/** The product as a reader sees it; `showSales` false leaves sold quantities out. */
export function productView(p: ProductWithStock, showSales = true): ProductView {
  const { product_id, ...stock } = stockView(p.id, p.hasSizes, p.stock, showSales);
  return {
    id: product_id,
    product_name: p.productName,
    product_description: p.productDescription,
    price: priceString(p.price),
    sale_price: p.salePrice === null ? null : priceString(p.salePrice),
    current_price: formatMoney(priceOf(p)),
    images: p.images,
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
    snapshot_taken_at: h.createdAt.toISOString(),
    product_id: h.productId,
    product_name: h.productName,
    product_description: h.productDescription,
    product_price: priceString(h.price),
    price: priceString(h.price),
    sale_price: h.salePrice === null ? null : priceString(h.salePrice),
    current_price: priceString(h.currentPrice ?? h.price),
    color: h.color,
    brand: h.brand,
    category: h.category,
    size: h.size,
    store_id: h.storeId,
    reason: h.reason,
    created_at: h.createdAt.toISOString(),
  };
}

function historyData(p: ProductWithStock, reason: string, size = '', kind: 'change' | 'order' = 'change'): Prisma.ProductHistoryCreateManyInput {
  return {
    productId: p.id,
    productName: p.productName,
    productDescription: p.productDescription,
    price: p.price,
    salePrice: p.salePrice,
    currentPrice: priceOf(p).toFixed(2),
    color: p.color,
    brand: p.brand,
    category: p.category,
    storeId: p.storeId,
    size,
    kind,
    reason,
    snapshot: JSON.parse(JSON.stringify(productView(p))) as Prisma.InputJsonValue,
  };
}

const productNotFound = (id: string) => notFound('PRODUCT_NOT_FOUND', `no product ${id}`, { product_id: id });

export class Catalogue {
  constructor(private readonly prisma: PrismaClient) {}

  // ------------------------------------------------------------------ queries

  async list(q: ListProductsQuery, viewer?: Viewer): Promise<Page<ProductView>> {
    const page = q.page ?? 1;
    const pageSize = q.page_size ?? 20;
    const price: Prisma.DecimalNullableFilter<'Product'> = {};
    if (q.min_price !== undefined) price.gte = parsePriceBound(q.min_price, 'min_price').toFixed(2);
    if (q.max_price !== undefined) price.lte = parsePriceBound(q.max_price, 'max_price').toFixed(2);
    const text = q.q ?? q.search;
    const where: Prisma.ProductWhereInput = {
      deletedAt: null,
      ...(q.category ? { category: { equals: likeLiteral(q.category), mode: 'insensitive' } } : {}),
      ...(q.brand ? { brand: { equals: likeLiteral(q.brand), mode: 'insensitive' } } : {}),
      ...(q.store_id ? { storeId: q.store_id } : {}),
      ...(text
        ? {
            OR: [
              { productName: { contains: likeLiteral(text), mode: 'insensitive' } },
              { productDescription: { contains: likeLiteral(text), mode: 'insensitive' } },
            ],
          }
        : {}),
      // On what a buyer pays now (a product on sale is found by its sale price).
      ...(Object.keys(price).length ? { currentPrice: price } : {}),
      ...(q.in_stock === true ? { stock: { some: { available: { gt: 0 }, removedAt: null } } } : {}),
      ...(q.in_stock === false ? { stock: { none: { available: { gt: 0 }, removedAt: null } } } : {}),
    };
    const [total, rows] = await this.prisma.$transaction([
      this.prisma.product.count({ where }),
      this.prisma.product.findMany({
        where,
        include: LIVE_STOCK,
        orderBy: orderOf(q.sort ?? '-created_at'),
        skip: (page - 1) * pageSize,
        take: pageSize,
      }),
    ]);
    return { items: rows.map((p) => productView(p, canSeeSales(viewer, p))), total, page, page_size: pageSize };
  }

  /** A live product (deleted ones are 404 here; GetProducts still shows them, flagged). */
  async detail(id: string, viewer?: Viewer): Promise<ProductView> {
    const p = await this.live(this.prisma, id);
    return productView(p, canSeeSales(viewer, p));
  }

  async stock(id: string, viewer?: Viewer): Promise<StockView> {
    const p = await this.live(this.prisma, id);
    return stockView(p.id, p.hasSizes, p.stock, canSeeSales(viewer, p));
  }

  /**
   * The product's change history (creation, every change of its details or prices, deletion),
   * newest first. Order snapshots are not in it: each order keeps its own on its items.
   */
  async history(id: string, page = 1, pageSize = 20): Promise<Page<SnapshotView>> {
    if (!UUID_RE.test(id) || !(await this.prisma.product.findUnique({ where: { id }, select: { id: true } }))) {
      throw productNotFound(id);
    }
    const where = { productId: id, kind: 'change' };
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
    const rows = valid.length ? await this.prisma.product.findMany({ where: { id: { in: valid } }, include: LIVE_STOCK }) : [];
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
    const rows = ids.length ? await this.prisma.product.findMany({ where: { id: { in: ids } }, include: LIVE_STOCK }) : [];
    const byId = new Map(rows.map((r) => [r.id, r]));
    const out = lines.map((l): AvailabilityView => {
      const size = l.size ?? '';
      const p = byId.get(l.product_id);
      const base = {
        product_id: l.product_id,
        size,
        requested: l.quantity,
        price: p ? priceString(p.price) : '',
        current_price: p ? formatMoney(priceOf(p)) : '',
        product_name: p?.productName ?? '',
      };
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
    const salePrice = input.sale_price === undefined ? null : parseSalePrice(input.sale_price, price);
    const images = validateImages(input.images ?? []);
    const plan = planInitialStock(input);
    return this.prisma.$transaction(async (tx) => {
      const created = await tx.product.create({
        data: {
          productName: input.product_name,
          productDescription: input.product_description ?? '',
          price: price.toFixed(2),
          salePrice: salePrice?.toFixed(2) ?? null,
          images,
          color: input.color ?? '',
          brand: input.brand ?? '',
          category: input.category ?? '',
          storeId,
          ownerId: user.id,
          hasSizes: plan.hasSizes,
          stock: { create: plan.rows.map((r) => ({ size: r.size, available: r.available })) },
        },
        include: LIVE_STOCK,
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

  /**
   * Details, price, sale price, images. A change of what a buyer pays (the price without a sale,
   * or the sale price) emits `product.price_changed` with the old and new current prices, so carts
   * follow it and checkout refuses it until the buyer has seen it (PRICES_CHANGED).
   */
  async update(user: AuthUser, id: string, input: UpdateProductInput): Promise<ProductView> {
    const newPrice = input.price !== undefined ? parsePrice(input.price) : undefined;
    const images = input.images !== undefined ? validateImages(input.images) : undefined;
    return this.prisma.$transaction(async (tx) => {
      // Two changes of one product's prices in turn, each judged against the other's result (a
      // sale price must stay below the price).
      await lockProduct(tx, id);
      const before = await this.manageable(tx, user, id);
      const price = newPrice ?? money(before.price.toString());
      const oldSale = before.salePrice === null ? null : money(before.salePrice.toString());
      // A sale price left as it was must still be below a new price: the seller changes both.
      const salePrice =
        input.sale_price !== undefined ? parseSalePrice(input.sale_price, price) : oldSale && newPrice ? parseSalePrice(formatMoney(oldSale), price) : oldSale;
      const oldCurrent = formatMoney(priceOf(before));
      const after = await tx.product.update({
        where: { id },
        data: {
          ...(input.product_name !== undefined ? { productName: input.product_name } : {}),
          ...(input.product_description !== undefined ? { productDescription: input.product_description } : {}),
          ...(input.color !== undefined ? { color: input.color } : {}),
          ...(input.brand !== undefined ? { brand: input.brand } : {}),
          ...(input.category !== undefined ? { category: input.category } : {}),
          ...(images !== undefined ? { images } : {}),
          ...(newPrice !== undefined ? { price: newPrice.toFixed(2) } : {}),
          ...(input.sale_price !== undefined ? { salePrice: salePrice?.toFixed(2) ?? null } : {}),
        },
        include: LIVE_STOCK,
      });
      const newCurrent = formatMoney(priceOf(after));
      const pricesChanged = priceString(before.price) !== priceString(after.price) || String(before.salePrice) !== String(after.salePrice);
      await tx.productHistory.createMany({ data: [historyData(after, pricesChanged ? 'price_changed' : 'updated')] });
      const events: Envelope[] = [];
      if (newCurrent !== oldCurrent) {
        events.push(
          createEnvelope('product.price_changed', id, {
            product_id: id,
            old_price: oldCurrent,
            new_price: newCurrent,
            price: priceString(after.price),
            sale_price: after.salePrice === null ? null : priceString(after.salePrice),
          }),
        );
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

  /**
   * Renames a size. Refused while units of it are reserved (409 SIZE_HAS_RESERVATIONS: the
   * reservations and their orders name it) and onto another size's name (409 SIZE_EXISTS).
   * `product.size_renamed` lets carts move their lines of it to the new name.
   */
  async renameSize(user: AuthUser, id: string, sizeId: string, name: string): Promise<StockView> {
    return this.prisma.$transaction(async (tx) => {
      await lockProduct(tx, id);
      const p = await this.manageable(tx, user, id);
      const rows = await lockSizes(tx, id);
      const row = sizeToChange(p.hasSizes, rows, sizeId);
      assertNoReservations(row);
      const newName = renamedSize(rows, row, name);
      if (newName === row.size) return this.afterSizeChange(tx, p, null);
      await tx.stock.update({ where: { id: row.id }, data: { size: newName, updatedAt: new Date() } });
      // Before product.updated (which no longer lists the old name): carts move their lines over.
      return this.afterSizeChange(tx, p, [
        createEnvelope('product.size_renamed', id, { product_id: id, size_id: row.id, old_size: row.size, new_size: newName }),
      ]);
    });
  }

  /**
   * Removes a size: refused while units are reserved (409 SIZE_HAS_RESERVATIONS); its available
   * units leave the catalogue as a logged adjustment (reason `size_removed`), so stock stays
   * accounted for; sold units stay on the row. `product.updated` and `stock.changed` tell carts.
   */
  async removeSize(user: AuthUser, id: string, sizeId: string): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      await lockProduct(tx, id);
      const p = await this.manageable(tx, user, id);
      const rows = await lockSizes(tx, id);
      const row = sizeToChange(p.hasSizes, rows, sizeId);
      const { delta } = sizeRemoval(row);
      await tx.stock.update({ where: { id: row.id }, data: { available: 0, removedAt: new Date(), updatedAt: new Date() } });
      if (delta !== 0) {
        await tx.stockAdjustment.create({
          data: { stockId: row.id, productId: id, delta, availableAfter: 0, reason: 'size_removed', actorId: user.id },
        });
      }
      await this.afterSizeChange(tx, p, []);
    });
  }

  async remove(user: AuthUser, id: string): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      const p = await this.manageable(tx, user, id);
      const deleted = await tx.product.update({ where: { id }, data: { deletedAt: new Date() }, include: LIVE_STOCK });
      await tx.productHistory.createMany({ data: [historyData(deleted, 'deleted')] });
      await this.emit(tx, [createEnvelope('product.deleted', p.id, { product_id: p.id })]);
    });
  }

  /**
   * Freezes the products as they are now, one snapshot per item, all or nothing (an order keeps
   * what the buyer saw, its price being the current price). Deleted products can still be
   * snapshotted (the order may predate it). Kind `order`: not part of the product's history.
   */
  async createSnapshots(items: Array<{ product_id: string; size?: string | null }>, reason: string): Promise<SnapshotView[]> {
    const ids = [...new Set(items.map((i) => i.product_id))];
    const valid = ids.filter((i) => UUID_RE.test(i));
    const rows = valid.length ? await this.prisma.product.findMany({ where: { id: { in: valid } }, include: LIVE_STOCK }) : [];
    const byId = new Map(rows.map((r) => [r.id, r]));
    const missing = ids.filter((i) => !byId.has(i));
    if (missing.length > 0) throw notFound('PRODUCT_NOT_FOUND', `unknown products: ${missing.join(', ')}`, { missing_ids: missing });
    const created = await this.prisma.$transaction(
      items.map((i) => this.prisma.productHistory.create({ data: historyData(byId.get(i.product_id)!, reason || 'order', i.size ?? '', 'order') })),
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
      // Sizes are added, renamed and removed one at a time per product.
      await lockProduct(tx, id);
      const p = await this.manageable(tx, user, id);
      const sz = stockSizeFor(p.hasSizes, size);
      // Row lock: a reservation batch that read this row before us fails its guarded write if
      // we lowered the stock, and decides again.
      const rows = await tx.$queryRaw<Array<{ id: string; available: number; removed: boolean }>>`
        SELECT id, available, removed_at IS NOT NULL AS removed FROM stock WHERE product_id = ${id}::uuid AND size = ${sz} FOR UPDATE`;
      let stockId: string;
      let before = 0;
      // A new size, or a removed one set again (its row, with its history, comes back).
      const added = rows.length === 0 || rows[0].removed;
      if (added && (kind === 'adjust' || !p.hasSizes)) throw notFound('SIZE_NOT_FOUND', `no size ${sz} for this product`, { size: sz });
      if (rows.length === 0) {
        stockId = (await tx.stock.create({ data: { productId: id, size: sz, available: 0 } })).id;
      } else {
        stockId = rows[0].id;
        before = rows[0].available;
      }
      const after = target(before);
      if (after !== before || added) {
        await tx.stock.update({ where: { id: stockId }, data: { available: after, removedAt: null, updatedAt: new Date() } });
        if (after !== before || rows.length === 0) {
          await tx.stockAdjustment.create({
            data: { stockId, productId: id, delta: after - before, availableAfter: after, reason, actorId: user.id },
          });
        }
      }
      const stock = await tx.stock.findMany({ where: { productId: id, removedAt: null } });
      // A new size changes what the product offers, not only its stock.
      const events = added ? [productUpdated({ ...p, stock }), stockChanged(id, p.hasSizes, stock)] : [stockChanged(id, p.hasSizes, stock)];
      await this.emit(tx, events);
      return stockView(id, p.hasSizes, stock);
    });
  }

  /**
   * After a size was renamed or removed: what the product offers now, announced after `first`
   * (null: nothing changed, nothing to announce).
   */
  private async afterSizeChange(tx: Tx, p: ProductWithStock, first: Envelope[] | null): Promise<StockView> {
    const stock = await tx.stock.findMany({ where: { productId: p.id, removedAt: null } });
    if (first) await this.emit(tx, [...first, productUpdated({ ...p, stock }), stockChanged(p.id, p.hasSizes, stock)]);
    return stockView(p.id, p.hasSizes, stock);
  }

  private async live(db: Tx | PrismaClient, id: string): Promise<ProductWithStock> {
    const p = UUID_RE.test(id) ? await db.product.findUnique({ where: { id }, include: LIVE_STOCK }) : null;
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

/** The product row, locked for the rest of the transaction (a no-op for an unknown or malformed id). */
async function lockProduct(tx: Tx, id: string): Promise<void> {
  if (UUID_RE.test(id)) await tx.$queryRaw`SELECT id FROM products WHERE id = ${id}::uuid FOR UPDATE`;
}

/** Every stock row of the product, removed ones included (their names stay taken), locked. */
async function lockSizes(tx: Tx, productId: string) {
  return tx.$queryRaw<Array<{ id: string; size: string; available: number; reserved: number; removedAt: Date | null }>>`
    SELECT id, size, available, reserved, removed_at AS "removedAt" FROM stock WHERE product_id = ${productId}::uuid ORDER BY id FOR UPDATE`;
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

function productUpdated(p: ProductWithStock): Envelope {
  return createEnvelope('product.updated', p.id, {
    product_id: p.id,
    product_name: p.productName,
    price: priceString(p.price),
    sale_price: p.salePrice === null ? null : priceString(p.salePrice),
    current_price: formatMoney(priceOf(p)),
    has_sizes: p.hasSizes,
    sizes: p.hasSizes ? p.stock.map((s) => s.size).sort() : [],
  });
}

function stockChanged(productId: string, hasSizes: boolean, rows: StockRow[]): Envelope {
  // showSales: the event is for other services, which see everything.
  return createEnvelope('stock.changed', productId, stockView(productId, hasSizes, rows, true) as StockChangedEvent);
}
