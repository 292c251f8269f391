// The events the catalogue's changes publish (inventory.events, through the outbox), and the
// copy of a product its history keeps: both are read by other services and tools, with every
// figure shown (sold quantities included).
import { createEnvelope, formatMoney, type Envelope, type StockChangedEvent } from '@sudamall/shared';
import { priceOf, priceString, type ProductRecord, type StockRecord } from '../domain/product';

export function productUpdated(p: ProductRecord): Envelope {
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

export function priceChanged(before: ProductRecord, after: ProductRecord): Envelope {
  return createEnvelope('product.price_changed', after.id, {
    product_id: after.id,
    old_price: formatMoney(priceOf(before)),
    new_price: formatMoney(priceOf(after)),
    price: priceString(after.price),
    sale_price: after.salePrice === null ? null : priceString(after.salePrice),
  });
}

export function sizeRenamed(productId: string, row: { id: string; size: string }, newSize: string): Envelope {
  return createEnvelope('product.size_renamed', productId, { product_id: productId, size_id: row.id, old_size: row.size, new_size: newSize });
}

export function productDeleted(productId: string): Envelope {
  return createEnvelope('product.deleted', productId, { product_id: productId });
}

export function stockChanged(productId: string, hasSizes: boolean, rows: StockRecord[]): Envelope {
  return createEnvelope('stock.changed', productId, stockDocument(productId, hasSizes, rows) as StockChangedEvent);
}

/**
 * A product's stock: totals, and per size (sorted by name) for a sized product. With `showSales`
 * false, sold quantities are left out (not zeroed): what readers other than the product's store's
 * sellers and admins see over REST. Events and history always carry them.
 */
export function stockDocument(productId: string, hasSizes: boolean, rows: StockRecord[], showSales = true) {
  const sorted = [...rows].sort((a, b) => a.size.localeCompare(b.size));
  const sum = (f: (r: StockRecord) => number) => sorted.reduce((n, r) => n + f(r), 0);
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

/**
 * The one JSON shape of a product: the copy a history entry keeps (as its store's sellers see it)
 * and, through http/presenters.ts, the REST answer (`showSales` as for stockDocument).
 */
export function productDocument(p: ProductRecord, showSales = true) {
  const { product_id, ...stock } = stockDocument(p.id, p.hasSizes, p.stock, showSales);
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
