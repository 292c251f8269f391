// Use-case results → REST bodies (snake_case, money as two-decimal strings). Sold quantities are
// left out (not zeroed) for readers other than the product's store's sellers and admins.
import { formatMoney } from '@sudamall/shared';
import type { Page, ViewedProduct } from '../app/list-products';
import { priceOf, priceString, type ProductRecord, type ProductStock, type SnapshotRecord, type StockRecord } from '../domain/product';

export function presentStock(s: ProductStock, showSales = true) {
  const sorted = [...s.stock].sort((a, b) => a.size.localeCompare(b.size));
  const sum = (f: (r: StockRecord) => number) => sorted.reduce((n, r) => n + f(r), 0);
  return {
    product_id: s.productId,
    has_sizes: s.hasSizes,
    available_quantity: sum((r) => r.available),
    reserved_quantity: sum((r) => r.reserved),
    ...(showSales ? { sold_quantity: sum((r) => r.sold) } : {}),
    sizes: s.hasSizes
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

/** The stock of a product as one reader sees it. */
export const presentProductStock = ({ product: p, showSales }: ViewedProduct) =>
  presentStock({ productId: p.id, hasSizes: p.hasSizes, stock: p.stock }, showSales);

export function presentProduct(p: ProductRecord, showSales = true) {
  const { product_id, ...stock } = presentStock({ productId: p.id, hasSizes: p.hasSizes, stock: p.stock }, showSales);
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

export const presentViewedProduct = ({ product, showSales }: ViewedProduct) => presentProduct(product, showSales);

export function presentSnapshot(h: SnapshotRecord) {
  return {
    snapshot_id: h.id,
    /** When the product was like this (the spec's name; created_at says the same). */
    snapshot_taken_at: h.createdAt.toISOString(),
    product_id: h.productId,
    product_name: h.productName,
    product_description: h.productDescription,
    /** The list price then (the spec's name; price says the same). */
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

export function presentPage<T, J>(page: Page<T>, present: (item: T) => J) {
  return { items: page.items.map(present), total: page.total, page: page.page, page_size: page.pageSize };
}
