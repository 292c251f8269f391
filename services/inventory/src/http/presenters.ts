// Use-case results → REST bodies (snake_case, money as two-decimal strings). Sold quantities are
// left out (not zeroed) for readers other than the product's store's sellers and admins.
import { productDocument, stockDocument } from '../app/catalogue-events';
import type { Page, ViewedProduct } from '../app/list-products';
import { priceString, type ProductRecord, type ProductStock, type SnapshotRecord } from '../domain/product';

// The shapes are the catalogue's own documents (app/catalogue-events.ts), the same the history
// keeps, so a product reads the same over REST, in events and in its history.
export const presentStock = (s: ProductStock, showSales = true) => stockDocument(s.productId, s.hasSizes, s.stock, showSales);

/** The stock of a product as one reader sees it. */
export const presentProductStock = ({ product: p, showSales }: ViewedProduct) => stockDocument(p.id, p.hasSizes, p.stock, showSales);

export const presentProduct = (p: ProductRecord, showSales = true) => productDocument(p, showSales);

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
